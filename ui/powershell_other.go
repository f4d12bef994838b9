//go:build !windows

package ui

import "errors"

// canOpenPowerShell: "Open in PowerShell" is offered on Windows only
// (Exchange Online PowerShell admins use Windows; elsewhere Copy and Save stay).
const canOpenPowerShell = false

func openInPowerShell([]string) error { return errors.New("Open in PowerShell is for Windows") }
