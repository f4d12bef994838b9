//go:build windows

package ui

import (
	"os/exec"
	"syscall"
)

// canOpenPowerShell: "Open in PowerShell" is offered on Windows only.
const canOpenPowerShell = true

// openInPowerShell starts argv (from exchange.PowerShellLaunch) in a console
// window of its own and does not wait for it.
func openInPowerShell(argv []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: 0x00000010} // CREATE_NEW_CONSOLE
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
