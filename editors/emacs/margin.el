;;; margin.el --- The margin language server for Python, through eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1") (eglot "1.9"))
;; Keywords: languages, tools, python

;;; Commentary:

;; margin puts a reviewer's notes in the margin of Python code: missing
;; docstrings and type hints, unused imports, exceptions swallowed or too
;; broad, syntax errors.  This package registers the `margin' language server
;; with eglot for `python-mode' and `python-ts-mode' and passes it settings.
;;
;;   (require 'margin)
;;   (setq margin-settings '(:select ["E" "F401"] :ignore ["D107"]))
;;   (add-hook 'python-mode-hook #'eglot-ensure)
;;
;; margin's findings then show through Flymake; its quick fixes through
;; `eglot-code-actions' (or `margin-quickfix'), and every safe fix at once
;; through `margin-fix-all'.  Works with eglot 1.9 (Debian 12's elpa-eglot)
;; and with the eglot built into Emacs 29 and later.

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)

(defgroup margin nil
  "The margin language server for Python."
  :group 'eglot
  :prefix "margin-")

(defcustom margin-command '("margin" "lsp")
  "The command that starts the margin language server, as a list of strings.
The first string is the program, looked up on the variable `exec-path'
unless absolute."
  :type '(repeat string))

(defcustom margin-settings nil
  "Settings of margin, as a plist: for example (:select [\"E\" \"F401\"]).
Keys are those of docs/configuration.md: `:select' and `:ignore' take a
vector (or list) of rule codes and prefixes, or one comma-separated string.
They are sent as the server's initializationOptions, and as the \"margin\"
section of workspace/didChangeConfiguration when
`eglot-workspace-configuration' has no `:margin' section of its own (if it
has one, that section wins).  After changing this variable, run
`margin-apply-settings' or restart the server."
  :type '(plist :key-type symbol :value-type sexp))

(defcustom margin-modes '(python-mode python-ts-mode)
  "Major modes whose buffers margin serves."
  :type '(repeat symbol)
  :set (lambda (sym val)
         (set-default sym val)
         (when (fboundp 'margin-register) (margin-register))))

(defclass margin-eglot-server (eglot-lsp-server) ()
  :documentation "An eglot connection to the margin language server.")

(defun margin--settings-json ()
  "`margin-settings' ready for serialization: lists of codes become vectors."
  (if (null margin-settings)
      (make-hash-table :size 1)         ; {} rather than null
    (cl-loop for (key value) on margin-settings by #'cddr
             collect key
             collect (if (and (listp value) value (cl-every #'stringp value))
                         (vconcat value)
                       value))))

(cl-defmethod eglot-initialization-options ((_server margin-eglot-server))
  "Return the initializationOptions of margin: `margin-settings'."
  (margin--settings-json))

(defun margin-eglot-contact (&optional interactive)
  "The eglot contact for margin: `margin-command' with `margin-eglot-server'.
When the program cannot be found and INTERACTIVE is nil, say how to fix
it; interactively, eglot offers to type another command."
  (let ((program (car margin-command)))
    (unless (or interactive
                (file-name-absolute-p program)
                (executable-find program))
      (user-error "Cannot start margin: `%s' is not on `exec-path'; \
install margin or set `margin-command' to its full path" program))
    (cons 'margin-eglot-server margin-command)))

(defun margin--mode-specs ()
  "The MAJOR-MODE part of margin's `eglot-server-programs' entry."
  (mapcar (lambda (mode) (list mode :language-id "python")) margin-modes))

(defun margin--entry-p (entry)
  "Whether ENTRY of `eglot-server-programs' is margin's."
  (eq (cdr-safe entry) 'margin-eglot-contact))

(defun margin-register ()
  "Put margin first in `eglot-server-programs' for `margin-modes'."
  (setq eglot-server-programs
        (cons (cons (margin--mode-specs) 'margin-eglot-contact)
              (cl-remove-if #'margin--entry-p eglot-server-programs))))

(defun margin-unregister ()
  "Remove margin from `eglot-server-programs'."
  (setq eglot-server-programs (cl-remove-if #'margin--entry-p eglot-server-programs)))

(defun margin--workspace-section-p (server)
  "Whether `eglot-workspace-configuration' has a margin section for SERVER."
  (let ((conf (if (functionp eglot-workspace-configuration)
                  (funcall eglot-workspace-configuration server)
                eglot-workspace-configuration)))
    (cond ((keywordp (car-safe conf)) (and (plist-member conf :margin) t))
          ((consp (car-safe conf))
           (and (or (assq :margin conf) (assq 'margin conf) (assoc "margin" conf)) t)))))

(defun margin--send-settings (server)
  "Send `margin-settings' to SERVER as its workspace configuration."
  (jsonrpc-notify server :workspace/didChangeConfiguration
                  (list :settings (list :margin (margin--settings-json)))))

(defun margin--after-connect (server)
  "Resend `margin-settings' to a new margin SERVER.
eglot sends `eglot-workspace-configuration' on connecting, {} when it is
empty, and margin takes that for settings; unless the user gave margin a
section there, send `margin-settings' again so the initializationOptions
stay in force."
  (when (and (cl-typep server 'margin-eglot-server)
             margin-settings
             (not (margin--workspace-section-p server)))
    (margin--send-settings server)))

(defun margin--current-server ()
  "The margin server of the current buffer, or a `user-error'."
  (let ((server (eglot-current-server)))
    (unless (cl-typep server 'margin-eglot-server)
      (user-error "No margin server for this buffer (M-x eglot starts one)"))
    server))

(defun margin-apply-settings ()
  "Send `margin-settings' to the margin server of the current buffer."
  (interactive)
  (margin--send-settings (margin--current-server)))

(defun margin--bounds ()
  "The region's bounds if it is active, else point."
  (if (use-region-p)
      (list (region-beginning) (region-end))
    (list (point) nil)))

(defun margin-quickfix (beg &optional end)
  "Offer margin's quick fixes for the diagnostics between BEG and END.
Interactively, the region or the diagnostics at point.  (eglot 1.9's
`eglot-code-action-quickfix' lists the fixes without applying them.)"
  (interactive (margin--bounds))
  (margin--current-server)
  (eglot-code-actions beg end "quickfix" t))

(defun margin-fix-all ()
  "Apply every fix that margin deems safe in the current buffer."
  (interactive)
  (margin--current-server)
  (eglot-code-actions (point-min) (point-max) "source.fixAll.margin" t))

(add-hook 'eglot-connect-hook #'margin--after-connect t)
(margin-register)

(provide 'margin)

;; Installed as a package, margin registers itself whenever eglot loads.
;; (This comes after `provide', so loading this file does not require it
;; again.)
;;;###autoload
(with-eval-after-load 'eglot (require 'margin))

;;; margin.el ends here
