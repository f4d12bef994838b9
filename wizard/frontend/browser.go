package frontend

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"time"
)

// browserGrace is how long OpenBrowser waits for the opener to report that no
// browser could be found (xdg-open exits 3 or 4 at once); an opener still
// running after it is taken as a browser that opened.
const browserGrace = 3 * time.Second

// OpenBrowser opens u in the system browser, and reports an error when there
// is none (so the caller can offer another way, such as a device code).
func OpenBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	case "darwin":
		cmd = exec.Command("open", u)
	default:
		path, err := exec.LookPath("xdg-open")
		if err != nil {
			return errors.New("no browser: xdg-open is not installed")
		}
		cmd = exec.Command(path, u)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening the browser: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("opening the browser: %w", err)
		}
		return nil
	case <-time.After(browserGrace):
		return nil // still running: a browser that stays in the foreground
	}
}
