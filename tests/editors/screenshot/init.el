;;; init.el --- Emacs setup for the screenshots (tests/editors/screenshots.sh)  -*- lexical-binding: t; -*-
;; margin.el as a user would configure it: eglot for Python buffers.
(setq inhibit-startup-screen t
      native-comp-async-report-warnings-errors 'silent
      warning-minimum-level :error)
(menu-bar-mode -1)
(require 'margin)
(add-hook 'python-mode-hook #'eglot-ensure)
(setq eglot-send-changes-idle-time 0.2)
(add-hook 'prog-mode-hook #'display-line-numbers-mode)
;; Text terminals before Emacs 29 draw no wavy underlines: use straight ones.
(with-eval-after-load 'flymake
  (set-face-attribute 'flymake-error nil :underline '(:color "red"))
  (set-face-attribute 'flymake-warning nil :underline '(:color "orange"))
  (set-face-attribute 'flymake-note nil :underline '(:color "green")))
;;; init.el ends here
