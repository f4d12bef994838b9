package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"m365wizard/cmd/m365wizard/internal/cli"
)

// The test binary doubles as m365wizard for the end-to-end test when no
// built binary is given (M365WIZARD_E2E_BIN).
func TestMain(m *testing.M) {
	if os.Getenv("M365WIZARD_E2E_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

// e2e runs m365wizard as separate processes, as an admin's script would:
// `m365wizard sandbox` in one, the commands in others, sharing only the
// environment lines the sandbox prints and the OS keychain.
type e2e struct {
	t    *testing.T
	bin  string
	env  []string
	http *http.Client
	base string // login URL
}

func (x *e2e) command(args ...string) *exec.Cmd {
	cmd := exec.Command(x.bin, args...)
	cmd.Env = x.env
	if os.Getenv("M365WIZARD_E2E_BIN") == "" {
		cmd.Env = append(cmd.Env, "M365WIZARD_E2E_AS_MAIN=1")
	}
	return cmd
}

var deviceCodeRE = regexp.MustCompile(`enter the code (\S+) to authenticate`)

// run runs one command, approving a device code it prints the way the admin
// would: on the sandbox's /devicelogin page.
func (x *e2e) run(stdin string, args ...string) (int, map[string]any, string) {
	x.t.Helper()
	cmd := x.command(args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout = &out
	errPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		x.t.Fatal(err)
	}
	var errText strings.Builder
	sc := bufio.NewScanner(errPipe)
	for sc.Scan() {
		line := sc.Text()
		errText.WriteString(line + "\n")
		if m := deviceCodeRE.FindStringSubmatch(line); m != nil {
			if err := x.approve(m[1]); err != nil {
				x.t.Errorf("approving the device code: %v", err)
			}
		}
	}
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		x.t.Fatal(err)
	}
	var v map[string]any
	if strings.Contains(strings.Join(args, " "), "--json") {
		dec := json.NewDecoder(&out)
		if err := dec.Decode(&v); err != nil || dec.More() {
			x.t.Fatalf("%v: stdout is not exactly one JSON object (%v):\n%s\nstderr:\n%s", args, err, out.String(), errText.String())
		}
	}
	return code, v, errText.String()
}

func (x *e2e) approve(code string) error {
	form := url.Values{"otc": {code}, "decision": {"approve"}, "login": {"admin@contoso.com"}}
	resp, err := x.http.PostForm(x.base+"/devicelogin", form)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `id="done"`) {
		return fmt.Errorf("device login page answered %d: %.300s", resp.StatusCode, body)
	}
	return nil
}

// TestRealCLIEndToEnd: setup -> test -> status -> rotate-secret -> forget,
// judged by exit codes and JSON. It needs the OS keychain shared between
// processes, so ./dev.sh test runs it inside a throwaway GNOME Keyring with
// the built binary (M365WIZARD_E2E_BIN).
func TestRealCLIEndToEnd(t *testing.T) {
	if os.Getenv("M365WIZARD_REAL_KEYRING") != "1" {
		t.Skip("needs a real keychain shared between processes: run through ./dev.sh keyring (M365WIZARD_REAL_KEYRING=1)")
	}
	bin := os.Getenv("M365WIZARD_E2E_BIN")
	if bin == "" {
		bin = os.Args[0]
	}
	dir := t.TempDir()
	x := &e2e{t: t, bin: bin}
	x.env = append(os.Environ(), "M365WIZARD_CONFIG_DIR="+filepath.Join(dir, "config"),
		"M365WIZARD_KEYRING_SERVICE=m365wizard-e2e-"+uuid.NewString())

	// The sandbox in its own process; read the lines it prints.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sb := exec.CommandContext(ctx, bin, "sandbox", "--dir", filepath.Join(dir, "sandbox"))
	sb.Env = x.command().Env
	pipe, _ := sb.StdoutPipe()
	sb.Stderr = os.Stderr
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	defer sb.Wait()
	defer sb.Process.Signal(os.Interrupt)
	lines := bufio.NewScanner(pipe)
	vars := map[string]string{}
	deadline := time.Now().Add(30 * time.Second)
	for len(vars) < 3 && time.Now().Before(deadline) && lines.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(lines.Text()), "export "), "="); ok && strings.HasPrefix(k, "M365WIZARD_") {
			vars[k] = v
		}
	}
	go io.Copy(io.Discard, pipe)
	for _, k := range []string{"M365WIZARD_LOGIN_URL", "M365WIZARD_GRAPH_URL", "M365WIZARD_CA_FILE"} {
		if vars[k] == "" {
			t.Fatalf("the sandbox did not print %s", k)
		}
		x.env = append(x.env, k+"="+vars[k])
	}
	pem, err := os.ReadFile(vars["M365WIZARD_CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	x.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	x.base = vars["M365WIZARD_LOGIN_URL"]

	// Bad input: exit 2, one JSON object, nothing sent (no sign-in prompt).
	code, v, stderr := x.run("", "setup", "--json", "--yes", "--secret-months", "5")
	if code != 2 || v["ok"] != false || strings.Contains(stderr, "To sign in") {
		t.Fatalf("bad input: exit %d %v\n%s", code, v, stderr)
	}

	code, v, stderr = x.run("", "setup", "--json", "--yes", "--sign-in", "device-code", "--mailbox", "helpdesk@contoso.com")
	if code != 0 || v["ok"] != true || v["stored"] != true || v["clientId"] == "" {
		t.Fatalf("setup: exit %d %v\n%s", code, v, stderr)
	}
	clientID := v["clientId"].(string)
	firstKey := v["credential"].(map[string]any)["keyId"]
	if test := v["test"].(map[string]any); test["ok"] != true {
		t.Fatalf("setup's test: %v", test)
	}

	code, v, stderr = x.run("", "test", "--json")
	if code != 0 || v["ok"] != true || len(v["checks"].([]any)) == 0 {
		t.Fatalf("test: exit %d %v\n%s", code, v, stderr)
	}

	code, v, stderr = x.run("", "status", "--json")
	cred, _ := v["credential"].(map[string]any)
	if code != 0 || v["clientId"] != clientID || v["cloud"] != "global" || cred["keyId"] != firstKey || cred["daysLeft"].(float64) < 364 {
		t.Fatalf("status: exit %d %v\n%s", code, v, stderr)
	}

	code, v, stderr = x.run("", "rotate-secret", "--json", "--sign-in", "device-code", "--remove-old")
	removed, _ := v["removedKeyIds"].([]any)
	if code != 0 || v["ok"] != true || v["credential"].(map[string]any)["keyId"] == firstKey || len(removed) != 1 || removed[0] != firstKey {
		t.Fatalf("rotate-secret: exit %d %v\n%s", code, v, stderr)
	}

	code, v, stderr = x.run("", "test", "--json")
	if code != 0 || v["ok"] != true {
		t.Fatalf("test after rotation: exit %d %v\n%s", code, v, stderr)
	}

	code, v, stderr = x.run("", "forget", "--json")
	if code != 0 || v["ok"] != true || v["clientId"] != clientID {
		t.Fatalf("forget: exit %d %v\n%s", code, v, stderr)
	}
	code, v, _ = x.run("", "status", "--json")
	if code != 1 || v["stored"] != false {
		t.Fatalf("status after forget: exit %d %v", code, v)
	}
	code, v, _ = x.run("", "test", "--json")
	if code != 1 || v["ok"] != false {
		t.Fatalf("test after forget: exit %d %v", code, v)
	}
}
