package main

import (
	"bytes"
	"strings"
	"testing"

	"m365wizard/cmd/m365wizard/internal/cli"
)

func TestHelpListsEveryCommand(t *testing.T) {
	var out bytes.Buffer
	if got := run([]string{"--help"}, cli.IO{Stdout: &out, Stderr: &out}); got != exitOK {
		t.Fatalf("--help exit %d", got)
	}
	for _, c := range []string{"--sandbox", "setup", "test", "rotate-secret", "status", "forget", "sandbox"} {
		if !strings.Contains(out.String(), "m365wizard "+c) {
			t.Errorf("usage does not list %q", c)
		}
	}
}

func TestUsageAndBadInputExitWithTwo(t *testing.T) {
	cases := []struct {
		args []string
		want int
		says string
	}{
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"--no-such-flag"}, exitUsage, "flag provided but not defined"},
		{[]string{"setup", "--cloud", "mars"}, exitUsage, `"mars" is not a cloud`},
		{[]string{"sandbox", "--users", "100001"}, exitUsage, "between 0 and 100000"},
		{[]string{"sandbox", "--no-such-flag"}, exitUsage, "flag provided but not defined"},
		{[]string{"--help"}, exitOK, ""},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		if got := run(c.args, cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}); got != c.want {
			t.Errorf("run(%q) = %d, want %d", c.args, got, c.want)
		}
		if !strings.Contains(errOut.String(), c.says) {
			t.Errorf("run(%q) stderr = %q, want it to mention %q", c.args, errOut.String(), c.says)
		}
	}
}

func TestSandboxRefusesNonLoopbackAddress(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"sandbox", "--graph-addr", "0.0.0.0:0", "--dir", t.TempDir()}, cli.IO{Stdout: &out, Stderr: &errOut}); got != exitFail {
		t.Fatalf("exit %d, want %d; stderr %q", got, exitFail, errOut.String())
	}
	if !strings.Contains(errOut.String(), "not loopback") {
		t.Fatalf("stderr %q does not say why", errOut.String())
	}
}
