package main

import (
	"flag"
	"fmt"
	"io"

	"m365wizard/ui"
	"m365wizard/wizard/frontend"
)

// runWindow opens the wizard window: `m365wizard` or `m365wizard --sandbox`.
func runWindow(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("m365wizard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sb := fs.Bool("sandbox", false, "run against the built-in simulated tenant (no Microsoft account needed)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "m365wizard: unexpected %q\n\n%s", fs.Arg(0), usage)
		return exitUsage
	}
	if err := ui.Run(frontend.Options{Sandbox: *sb}); err != nil {
		fmt.Fprintln(stderr, "m365wizard:", err)
		return exitFail
	}
	return exitOK
}
