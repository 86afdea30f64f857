;;; emacs_test.el --- headless test of editors/emacs/margin.el  -*- lexical-binding: t; -*-

;; Run by tests/editors/run.py as `emacs --batch -q -L editors/emacs -l
;; emacs_test.el'.  Opens workspace/src/greet.py, starts margin through eglot
;; as M-x eglot would, waits for margin's syntax error in Flymake, changes the
;; settings at run time, applies the quick-fix through `eglot-code-actions'
;; (the interactive path of eglot's quickfix command; only the menu is
;; answered by the test) and checks the buffer text.
;;
;; Every wait is bounded (MARGIN_TEST_WAIT_MS); the first failed check ends
;; Emacs with exit status 1 and says what was expected and what was there.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'margin)

(defvar mt-wait (/ (string-to-number (or (getenv "MARGIN_TEST_WAIT_MS") "20000")) 1000.0))
(defvar mt-file (or (getenv "MARGIN_TEST_FILE") (error "MARGIN_TEST_FILE is not set")))
(defvar mt-root (or (getenv "MARGIN_TEST_ROOT") (error "MARGIN_TEST_ROOT is not set")))
(defvar mt-events-log (getenv "MARGIN_TEST_EVENTS_LOG"))
(defvar mt-server nil)

(define-error 'mt-failure "margin editor test failed")

(defun mt-log (fmt &rest args)
  (princ (concat (apply #'format fmt args) "\n")))

(defun mt-fail (fmt &rest args)
  (signal 'mt-failure (list (apply #'format fmt args))))

(defmacro mt-check (cond fmt &rest args)
  `(unless ,cond (mt-fail ,fmt ,@args)))

(defmacro mt-wait-for (what &rest body)
  "Run BODY until it returns non-nil, for at most `mt-wait' seconds."
  `(let ((deadline (+ (float-time) mt-wait)) result)
     (while (not (setq result (progn ,@body)))
       (when (> (float-time) deadline)
         (mt-fail "timed out after %.0f s waiting for %s" mt-wait ,what))
       (accept-process-output nil 0.02))
     result))

(defun mt-lsp-diag (diag)
  (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data diag))))

(defun mt-diagnostics ()
  "margin's Flymake diagnostics in the current buffer, after a refresh."
  ;; Flymake starts its backends from timers and command hooks, which do
  ;; not run in batch mode: start it here, as they would.
  (flymake-start)
  (cl-remove-if-not
   (lambda (d) (equal (plist-get (mt-lsp-diag d) :source) "margin"))
   (flymake-diagnostics)))

(defun mt-describe (diags)
  (format "[%s]"
          (mapconcat (lambda (d)
                       (format "line %d: %s" (line-number-at-pos (flymake-diagnostic-beg d))
                               (flymake-diagnostic-text d)))
                     diags "; ")))

(defun mt-barrier ()
  "Return once margin has answered a request sent after everything before.
margin publishes diagnostics before it answers, so those seen afterwards
are the ones for what was sent before."
  (when (fboundp 'eglot--signal-textDocument/didChange)
    (eglot--signal-textDocument/didChange))
  (jsonrpc-request mt-server :textDocument/documentSymbol
                   (list :textDocument (eglot--TextDocumentIdentifier))
                   :timeout mt-wait)
  (accept-process-output nil 0.05))

(defun mt-main ()
  (mt-log "# Emacs %s, eglot from %s" emacs-version (locate-library "eglot"))
  (require 'margin)
  (mt-check (eq (cdr (car eglot-server-programs)) 'margin-eglot-contact)
            "margin is not first in eglot-server-programs: %S" (car eglot-server-programs))
  ;; A list of codes, not a vector: margin.el turns it into a JSON array.
  (setq margin-settings '(:select ("E999")))

  (find-file mt-file)
  (mt-check (derived-mode-p 'python-mode) "major mode is %s, not python-mode" major-mode)

  ;; 1. M-x eglot, without its prompts.
  (apply #'eglot (eglot--guess-contact))
  (setq mt-server (mt-wait-for "the margin server" (eglot-current-server)))
  (mt-check (cl-typep mt-server 'margin-eglot-server)
            "the server is a %s, not a margin-eglot-server" (eieio-object-class-name mt-server))
  (mt-wait-for "eglot to manage the buffer" (bound-and-true-p eglot--managed-mode))
  (mt-check (equal (file-truename (project-root (eglot--project mt-server)))
                   (file-name-as-directory (file-truename mt-root)))
            "the project root is %s, expected %s" (project-root (eglot--project mt-server)) mt-root)
  (mt-log "ok - eglot started margin for %s in %s" major-mode mt-root)

  ;; 2. The syntax error in Flymake: only E999 (select), although eglot sent
  ;; {} as workspace configuration after connecting.
  (mt-wait-for "margin's diagnostics in Flymake" (mt-diagnostics))
  (mt-barrier)
  (let* ((diags (mt-diagnostics))
         (d (car diags))
         (lsp (and d (mt-lsp-diag d))))
    (mt-check (= (length diags) 1) "expected exactly one diagnostic (E999), got %s"
              (mt-describe diags))
    (mt-check (equal (plist-get lsp :code) "E999") "code is %S, expected E999: %s"
              (plist-get lsp :code) (mt-describe diags))
    (mt-check (= (line-number-at-pos (flymake-diagnostic-beg d)) 4)
              "E999 is on line %d, expected 4" (line-number-at-pos (flymake-diagnostic-beg d)))
    (mt-check (string-match-p "expected ':'" (flymake-diagnostic-text d))
              "message is %S, expected \"expected ':'\"" (flymake-diagnostic-text d))
    (mt-check (string-match-p "E999" (flymake-diagnostic-text d))
              "message %S does not name the code" (flymake-diagnostic-text d))
    (mt-check (eq (flymake-diagnostic-type d) 'eglot-error) "type is %s, expected eglot-error"
              (flymake-diagnostic-type d))
    (mt-log "ok - Flymake shows %S on line 4" (flymake-diagnostic-text d)))

  ;; 3. Settings at run time: margin-apply-settings, then eglot's own
  ;; workspace configuration.
  (setq margin-settings '(:select ["E999"] :ignore ["E999"]))
  (margin-apply-settings)
  (mt-wait-for "no diagnostics once E999 is ignored" (null (mt-diagnostics)))
  (setq-default eglot-workspace-configuration '(:margin (:select ["E999"])))
  (eglot-signal-didChangeConfiguration mt-server)
  (mt-wait-for "E999 again from eglot-workspace-configuration" (mt-diagnostics))
  (mt-barrier)
  (let ((diags (mt-diagnostics)))
    (mt-check (and (= (length diags) 1)
                   (equal (plist-get (mt-lsp-diag (car diags)) :code) "E999"))
              "after re-selecting E999: %s" (mt-describe diags)))
  (mt-log "ok - margin-apply-settings and eglot-workspace-configuration reach the server")

  ;; 4. The quick-fix.  Go to the error as `flymake-goto-next-error' does
  ;; and run the code actions there, answering the menu if there is one.
  (goto-char (point-min))
  (flymake-goto-next-error 1 nil t)
  (mt-check (= (line-number-at-pos) 4) "flymake-goto-next-error went to line %d"
            (line-number-at-pos))
  (let* ((offered nil)
         (actions (eglot-code-actions (point) nil "quickfix")))
    (dolist (a actions)
      (push (format "%s (%s)" (plist-get a :title) (plist-get a :kind)) offered))
    (mt-check (cl-find "Insert ':'" actions :key (lambda (a) (plist-get a :title)) :test #'equal)
              "no \"Insert ':'\" among the quick fixes: %S" offered)
    (mt-check (cl-every (lambda (a) (plist-get a :edit)) actions)
              "a quick fix carries no edit (eglot 1.9 cannot resolve one): %S" actions)
    (mt-log "ok - the quick fixes offered: %s" (string-join (nreverse offered) ", ")))
  ;; With several fixes eglot asks which: by a popup menu after a mouse
  ;; event, else by `completing-read', which the test answers.  The command
  ;; is run as if from the keyboard.
  (let ((last-nonmenu-event ?\r)
        (asked nil))
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt collection &rest _)
                 (setq asked t)
                 (or (car (member "Insert ':'" (all-completions "" collection)))
                     (mt-fail "no \"Insert ':'\" in the menu %S" collection)))))
      (eglot-code-actions (point) nil "quickfix" t))
    (mt-log "ok - applied \"Insert ':'\" through eglot-code-actions (%s)"
            (if asked "chosen in the menu" "the only fix")))
  (let ((expected "import os\n\n\ndef grüße(name):\n    return \"héllo \" + name\n"))
    (mt-check (equal (buffer-string) expected)
              "after the fix the buffer is\n%s\nexpected\n%s" (buffer-string) expected))
  (mt-log "ok - buffer after the fix: %S"
          (buffer-substring (line-beginning-position) (line-end-position)))

  ;; 5. margin re-analyses the edited text: the error is gone.
  (mt-barrier)
  (mt-wait-for "the diagnostics to clear after the fix" (null (mt-diagnostics)))
  (mt-log "ok - no diagnostics after the fix")

  ;; 6. Fix-all: nothing is safe to fix here, and eglot says so.
  (let ((before (buffer-string)))
    (condition-case err
        (progn (margin-fix-all)
               (mt-fail "margin-fix-all applied something with nothing safe to fix"))
      (mt-failure (signal (car err) (cdr err)))
      (error (mt-log "ok - margin-fix-all: %s" (error-message-string err))))
    (mt-check (equal (buffer-string) before) "margin-fix-all changed the buffer"))

  ;; 6b. With F401 selected, margin-fix-all removes the unused `import os'.
  ;; (Skipped by a margin that reports no F401: the imports analyzer is
  ;; newer than this test.)
  (setq margin-settings '(:select ["E999" "F401"]))
  (setq-default eglot-workspace-configuration nil)
  (margin-apply-settings)
  (mt-barrier)
  (let ((diags (mt-diagnostics))
        (rest "def grüße(name):\n    return \"héllo \" + name\n"))
    (if (null diags)
        (mt-log "skip - margin-fix-all of F401: this margin reports no F401")
      (mt-check (and (= (length diags) 1)
                     (equal (plist-get (mt-lsp-diag (car diags)) :code) "F401")
                     (= (line-number-at-pos (flymake-diagnostic-beg (car diags))) 1))
                "expected F401 on line 1 for `import os', got %s" (mt-describe diags))
      (margin-fix-all)
      (mt-check (and (not (string-match-p "import os" (buffer-string)))
                     (string-suffix-p rest (buffer-string)))
                "after margin-fix-all the buffer is\n%s\nexpected no `import os' and the function intact"
                (buffer-string))
      (mt-barrier)
      (mt-wait-for "F401 to clear after margin-fix-all" (null (mt-diagnostics)))
      (mt-log "ok - margin-fix-all removed the unused import: %s"
              (replace-regexp-in-string "\n" "\\\\n" (buffer-string)))))

  ;; 7. Shut down.
  (let ((proc (jsonrpc--process mt-server)))
    (condition-case err
        (eglot-shutdown mt-server)
      (error (mt-fail "eglot-shutdown failed, margin's answer to `shutdown': %s"
                      (error-message-string err))))
    (mt-wait-for "the server process to end" (not (process-live-p proc)))
    (mt-log "ok - eglot-shutdown ended the server (%s %s)"
            (process-status proc) (process-exit-status proc))))

(defun mt-dump-events ()
  (when (and mt-server mt-events-log)
    (ignore-errors
      (with-current-buffer (jsonrpc-events-buffer mt-server)
        (write-region (point-min) (point-max) mt-events-log nil 'silent)))))

(condition-case err
    (progn
      (mt-main)
      (kill-emacs 0))
  (error
   (mt-dump-events)
   (princ (format "not ok - %s\n" (error-message-string err)))
   (kill-emacs 1)))

;;; emacs_test.el ends here
