// Command m365wizard connects a helpdesk product to Microsoft 365: it registers
// the app in Microsoft Entra ID, grants its Microsoft Graph permissions, creates
// its secret and stores the result in the OS keychain.
//
// This main only parses the command line and wires packages together.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"m365wizard/graphops/sandbox"
)

// Exit codes: 0 success, 1 an operation failed, 2 bad input or usage.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `Usage:
  m365wizard sandbox [flags]   serve the simulated Microsoft 365 tenant; print its endpoints and CA file

The wizard window and the setup, test, rotate-secret, status and forget commands
are being built; see README.md.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "sandbox":
		return runSandbox(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "m365wizard: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

func runSandbox(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	loginAddr := fs.String("login-addr", "127.0.0.1:0", "loopback address of the sign-in (login) host")
	graphAddr := fs.String("graph-addr", "127.0.0.1:0", "loopback address of the Microsoft Graph host")
	users := fs.Int("users", 0, "extra synthetic users in the tenant (0 to 100000)")
	dir := fs.String("dir", filepath.Join(os.TempDir(), "m365wizard-sandbox"), "folder for the sandbox CA certificate")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *users < 0 || *users > 100000 {
		fmt.Fprintln(stderr, "m365wizard sandbox: --users must be between 0 and 100000")
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := sandbox.Options{LoginAddr: *loginAddr, GraphAddr: *graphAddr,
		Tenants: []sandbox.TenantOptions{{DisplayName: "Contoso", Domain: "contoso.com", ExtraUsers: *users}}}
	if err := sandbox.Serve(ctx, opts, *dir, stdout); err != nil {
		fmt.Fprintln(stderr, "m365wizard sandbox:", err)
		return exitFail
	}
	return exitOK
}
