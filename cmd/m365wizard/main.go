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
	"strings"

	"m365wizard/cmd/m365wizard/internal/cli"
	"m365wizard/graphops/sandbox"
)

// Exit codes: 0 success, 1 an operation failed, 2 bad input or usage.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `Usage:
  m365wizard                        open the wizard window
  m365wizard --sandbox              open the window against the built-in simulated tenant
  m365wizard setup [flags]          the New setup flow without the window
  m365wizard test [flags]           Test Settings for the stored credentials (or given ones)
  m365wizard rotate-secret [flags]  replace the stored app's client secret
  m365wizard status [flags]         what is stored, and when the secret expires
  m365wizard forget [flags]         delete the stored credentials from the keychain
  m365wizard sandbox                serve the simulated tenant; print its endpoints and CA file

Common flags: --cloud global|usgov|usgov-dod|china, --tenant <GUID or domain>, --json.
"m365wizard <command> -h" lists a command's flags.
Exit codes: 0 success; 1 an operation or a check failed; 2 bad input or usage.
`

func main() {
	os.Exit(run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}

func run(args []string, io cli.IO) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return runWindow(args, io.Stderr)
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(io.Stdout, usage)
		return exitOK
	case "sandbox":
		return runSandbox(args[1:], io.Stdout, io.Stderr)
	}
	command, ok := cli.Commands[args[0]]
	if !ok {
		fmt.Fprintf(io.Stderr, "m365wizard: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	// Ctrl+C cancels the step under way; what was made is kept for a re-run.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return command(ctx, args[1:], io)
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
