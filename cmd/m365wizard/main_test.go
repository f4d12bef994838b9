package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsageAndBadInputExitWithTwo(t *testing.T) {
	cases := []struct {
		args []string
		want int
		says string
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"sandbox", "--users", "100001"}, exitUsage, "between 0 and 100000"},
		{[]string{"sandbox", "--no-such-flag"}, exitUsage, "flag provided but not defined"},
		{[]string{"--help"}, exitOK, "m365wizard sandbox"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		if got := run(c.args, &out, &errOut); got != c.want {
			t.Errorf("run(%q) = %d, want %d", c.args, got, c.want)
		}
		if !strings.Contains(errOut.String(), c.says) {
			t.Errorf("run(%q) stderr = %q, want it to mention %q", c.args, errOut.String(), c.says)
		}
	}
}

func TestSandboxRefusesNonLoopbackAddress(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"sandbox", "--graph-addr", "0.0.0.0:0", "--dir", t.TempDir()}, &out, &errOut); got != exitFail {
		t.Fatalf("exit %d, want %d; stderr %q", got, exitFail, errOut.String())
	}
	if !strings.Contains(errOut.String(), "not loopback") {
		t.Fatalf("stderr %q does not say why", errOut.String())
	}
}
