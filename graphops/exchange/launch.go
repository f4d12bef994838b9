package exchange

// PowerShellLaunch is the command line behind "Open in PowerShell" (Windows):
// the first of pwsh.exe (PowerShell 7) and powershell.exe (Windows PowerShell
// 5.1) that lookPath finds (pass exec.LookPath), running the saved script
// scriptPath in a console that stays open so the admin can sign in and read
// the checks. -ExecutionPolicy Bypass applies to that one process only: Windows
// clients default to Restricted, which refuses every .ps1 file. ok is false
// when neither is installed; the front end then hides the button (Copy and
// Save stay). The front end starts argv in a new console window
// (CREATE_NEW_CONSOLE); it never waits for it.
func PowerShellLaunch(lookPath func(file string) (string, error), scriptPath string) (argv []string, ok bool) {
	for _, exe := range []string{"pwsh.exe", "powershell.exe"} {
		if path, err := lookPath(exe); err == nil && path != "" {
			return []string{path, "-NoLogo", "-NoProfile", "-NoExit", "-ExecutionPolicy", "Bypass", "-File", scriptPath}, true
		}
	}
	return nil, false
}
