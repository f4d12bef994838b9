package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	entraSecret = "xYz8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456."
	// jwt is a made-up token of the usual shape: header, payload, signature.
	jwt    = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJlLW5vdC1yZWFs"
	pemKey = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
)

func sample() Progress {
	return Progress{
		Flow: "setup", Step: "scope-mailboxes", Done: []string{"sign-in", "register-app", "consent", "secret"}, Cloud: "global",
		TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", TenantName: "Contoso",
		Profile: "helpmaster", AppDisplayName: "HelpMaster Email", UniqueName: "helpmaster-contoso",
		AppObjectID: "a1b2c3d4-0000-4000-8000-000000000001", ClientID: "0b3c2a1d-5e4f-4a6b-8c7d-9e0f1a2b3c4d",
		ServicePrincipalID: "a1b2c3d4-0000-4000-8000-000000000002",
		Features:           []string{"mail", "calendar"},
		Permissions:        []string{"Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite"},
		Credential: CredentialInfo{Type: "secret", KeyID: "5d2b7c1e-9a3f-4e8d-b6c0-1f2a3b4c5d6e", Hint: "xYz",
			Expires: time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)},
		Mailboxes: []string{"helpdesk@contoso.com", "support@contoso.com"},
		Scoping:   "rbac",
	}
}

func TestConfigDir(t *testing.T) {
	t.Setenv(ConfigDirEnv, "")
	base, err := os.UserConfigDir()
	if err != nil {
		t.Skipf("this machine has no user config dir to compare with: %v", err)
	}
	if got, err := ConfigDir(); err != nil || got != filepath.Join(base, "m365wizard") {
		t.Fatalf("ConfigDir() = %q, %v; want %q", got, err, filepath.Join(base, "m365wizard"))
	}
	t.Setenv(ConfigDirEnv, filepath.Join("relative", "dir"))
	got, err := ConfigDir()
	if err != nil || !filepath.IsAbs(got) || !strings.HasSuffix(got, filepath.Join("relative", "dir")) {
		t.Fatalf("ConfigDir() with a relative %s = %q, %v; want it made absolute", ConfigDirEnv, got, err)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "m365wizard") // Save creates it
	before := time.Now().UTC().Add(-time.Second)
	if err := Save(dir, sample()); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Updated.Before(before) || got.Updated.After(time.Now().Add(time.Second)) {
		t.Fatalf("Version %d, Updated %s: Save must stamp both", got.Version, got.Updated)
	}
	want := sample()
	want.Version, want.Updated = got.Version, got.Updated
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Load = %+v\nwant   %+v", got, want)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ProgressFile))
	for _, field := range []string{`"clientId"`, `"servicePrincipalId"`, `"credential"`, `"hint"`, `"scoping"`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("progress.json lacks %s", field)
		}
	}
}

func TestLoadWithoutProgress(t *testing.T) {
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		p, err := Load(dir)
		if !errors.Is(err, ErrNoProgress) || !reflect.DeepEqual(p, Progress{}) {
			t.Fatalf("Load(%s) = %+v, %v; want a zero Progress and ErrNoProgress", dir, p, err)
		}
	}
}

func TestLoadCorrupt(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":    `{"version":1,"flow":"setup","step":"cons`,
		"not JSON":     "\x00\x01garbage",
		"newer format": `{"version":2,"flow":"setup"}`,
		"no version":   `{"flow":"setup"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ProgressFile), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(dir); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits; the profile folder's ACL protects the files")
	}
	dir := filepath.Join(t.TempDir(), "m365wizard")
	if err := Save(dir, sample()); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Entry{Operation: "Create app registration", Outcome: OK}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{dir: 0o700, filepath.Join(dir, ProgressFile): 0o600, filepath.Join(dir, LogFile): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", path, got, want)
		}
	}
}

// TestInterruptedSaveKeepsPrevious fails a save after half of the new file is
// written (a crash, a full disk): the previous progress stays whole and no
// temporary file remains.
func TestInterruptedSaveKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	if err := Save(dir, sample()); err != nil {
		t.Fatal(err)
	}
	next := sample()
	next.Step = "test-settings"
	sawTemp := false
	afterPartialWrite = func(tmp string) error {
		sawTemp = filepath.Dir(tmp) == dir
		// Save holds the file's lock: read the file directly.
		var p Progress
		data, err := os.ReadFile(filepath.Join(dir, ProgressFile))
		if err == nil {
			err = json.Unmarshal(data, &p)
		}
		if err != nil || p.Step != "scope-mailboxes" {
			t.Errorf("during the save, progress.json = %+v, %v; want the previous progress", p, err)
		}
		if half, _ := os.ReadFile(tmp); len(half) == 0 || json.Valid(half) {
			t.Errorf("the temporary file is not half written (%d bytes)", len(half))
		}
		return errors.New("no space left on device")
	}
	t.Cleanup(func() { afterPartialWrite = nil })
	if err := Save(dir, next); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("interrupted Save = %v, want its error", err)
	}
	afterPartialWrite = nil
	if !sawTemp {
		t.Fatal("Save did not write through a temporary file in the same directory")
	}
	if p, err := Load(dir); err != nil || p.Step != "scope-mailboxes" {
		t.Fatalf("after an interrupted save Load = %+v, %v; want the previous progress", p, err)
	}
	assertNoTemp(t, dir)

	// A rename that fails leaves things the same way.
	rename = func(string, string) error { return &os.LinkError{Op: "rename", Err: errors.New("simulated")} }
	t.Cleanup(func() { rename = os.Rename })
	if err := Save(dir, next); err == nil {
		t.Fatal("Save with a failing rename succeeded")
	}
	rename = os.Rename
	if p, err := Load(dir); err != nil || p.Step != "scope-mailboxes" {
		t.Fatalf("after a failed rename Load = %+v, %v", p, err)
	}
	assertNoTemp(t, dir)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestStrayTempFile: a temporary file a crashed save left behind, half
// written, changes nothing; Clear removes it.
func TestStrayTempFile(t *testing.T) {
	dir := t.TempDir()
	if err := Save(dir, sample()); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(dir, "."+ProgressFile+".4242.tmp")
	if err := os.WriteFile(stray, []byte(`{"version":1,"flow":"setup","st`), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := Load(dir); err != nil || p.Step != "scope-mailboxes" {
		t.Fatalf("Load with a stray temp file = %+v, %v", p, err)
	}
	next := sample()
	next.Step = "done"
	if err := Save(dir, next); err != nil {
		t.Fatal(err)
	}
	if p, err := Load(dir); err != nil || p.Step != "done" {
		t.Fatalf("Load = %+v, %v", p, err)
	}
	if err := Clear(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("Clear left the stray temporary file")
	}
}

// TestKilledDuringSaves kills a process that saves in a loop, at varying
// moments; what is on disk is always a whole, readable progress.
func TestKilledDuringSaves(t *testing.T) {
	if os.Getenv("M365WIZARD_STATE_SAVER") != "" {
		saveForever(os.Getenv("M365WIZARD_STATE_SAVER"))
		return
	}
	for round := 0; round < 4; round++ {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledDuringSaves$")
		cmd.Env = append(os.Environ(), "M365WIZARD_STATE_SAVER="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(dir, ProgressFile)); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(round*7) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		p, err := Load(dir)
		if err != nil {
			t.Fatalf("round %d: after a kill Load = %v", round, err)
		}
		if err := consistent(p); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// bigProgress is a Progress whose every mailbox names its writer and round,
// so a mixture of two saves shows.
func bigProgress(writer, round int) Progress {
	p := sample()
	p.Step = fmt.Sprintf("w%d-r%d", writer, round)
	p.Mailboxes = make([]string, 400)
	for i := range p.Mailboxes {
		p.Mailboxes[i] = fmt.Sprintf("%s-%03d@contoso.com", p.Step, i)
	}
	return p
}

func consistent(p Progress) error {
	if len(p.Mailboxes) != 400 {
		return fmt.Errorf("progress %q has %d mailboxes, want 400", p.Step, len(p.Mailboxes))
	}
	for i, m := range p.Mailboxes {
		if m != fmt.Sprintf("%s-%03d@contoso.com", p.Step, i) {
			return fmt.Errorf("progress %q mixes in mailbox %q", p.Step, m)
		}
	}
	return nil
}

func saveForever(dir string) {
	for i := 0; ; i++ {
		if err := Save(dir, bigProgress(os.Getpid(), i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
}

func TestConcurrentSaves(t *testing.T) {
	dir := t.TempDir()
	const writers, rounds = 8, 15
	var wg sync.WaitGroup
	stop := make(chan struct{})
	readerErr := make(chan error, 1)
	go func() { // a reader that never sees a mixture
		defer close(readerErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			p, err := Load(dir)
			if errors.Is(err, ErrNoProgress) {
				continue
			}
			if err == nil {
				err = consistent(p)
			}
			if err != nil {
				readerErr <- err
				return
			}
		}
	}()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				if err := Save(dir, bigProgress(w, r)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-readerErr; err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := consistent(p); err != nil || !strings.HasSuffix(p.Step, "-r"+strconv.Itoa(rounds-1)) {
		t.Fatalf("final progress %q: %v; want some writer's last round", p.Step, err)
	}
	assertNoTemp(t, dir)
}

func TestSaveRefusesSecrets(t *testing.T) {
	cases := map[string]func(*Progress){
		"Entra secret as display name": func(p *Progress) { p.AppDisplayName = entraSecret },
		"token in a mailbox":           func(p *Progress) { p.Mailboxes = append(p.Mailboxes, "Bearer "+jwt) },
		"private key in tenant name":   func(p *Progress) { p.TenantName = pemKey },
		"secret as key ID":             func(p *Progress) { p.Credential.KeyID = entraSecret },
		"whole secret as hint":         func(p *Progress) { p.Credential.Hint = "xYz8Q~AbCd" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Save(dir, sample()); err != nil {
				t.Fatal(err)
			}
			p := sample()
			mutate(&p)
			err := Save(dir, p)
			if !errors.Is(err, ErrSecretInProgress) {
				t.Fatalf("Save = %v, want ErrSecretInProgress", err)
			}
			for _, s := range []string{entraSecret, jwt, "MIIEvQIBADAN", "xYz8Q~AbCd"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("the error %q quotes the secret", err)
				}
			}
			data, _ := os.ReadFile(filepath.Join(dir, ProgressFile))
			if strings.Contains(string(data), "Q~") || strings.Contains(string(data), "eyJ") || strings.Contains(string(data), "PRIVATE") {
				t.Fatal("the secret reached progress.json")
			}
		})
	}
	// Ordinary values pass: GUIDs, request IDs, a real 3-character hint.
	if err := Save(t.TempDir(), sample()); err != nil {
		t.Fatal(err)
	}
}

func TestClear(t *testing.T) {
	dir := t.TempDir()
	if err := Clear(dir); err != nil {
		t.Fatalf("Clear of nothing = %v", err)
	}
	if err := Save(dir, sample()); err != nil {
		t.Fatal(err)
	}
	l, _ := OpenLog(dir)
	if err := l.Append(Entry{Operation: "Create app registration", Outcome: OK}); err != nil {
		t.Fatal(err)
	}
	if err := Clear(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrNoProgress) {
		t.Fatalf("Load after Clear = %v", err)
	}
	if e, err := l.Entries(); err != nil || len(e) != 1 {
		t.Fatalf("Clear touched the activity log: %v, %v", e, err)
	}
}

func TestRetry(t *testing.T) {
	calls := 0
	err := retry(5, time.Microsecond, func() error {
		calls++
		if calls < 3 {
			return &os.LinkError{Op: "rename", Err: fs.ErrPermission}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("retry = %v after %d calls, want success on the third", err, calls)
	}
	calls = 0
	other := errors.New("disk gone")
	if err := retry(5, time.Microsecond, func() error { calls++; return other }); err != other || calls != 1 {
		t.Fatalf("retry of a non-permission error = %v after %d calls, want one call", err, calls)
	}
	calls = 0
	if err := retry(3, time.Microsecond, func() error { calls++; return fs.ErrPermission }); !errors.Is(err, fs.ErrPermission) || calls != 3 {
		t.Fatalf("retry gave up with %v after %d calls, want 3 calls", err, calls)
	}
}

func TestProgressHasNoSecretField(t *testing.T) {
	// A guard against someone adding one: no field or JSON key suggests a secret.
	var names []string
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			names = append(names, f.Name, f.Tag.Get("json"))
			if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == ty.PkgPath() {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(Progress{}))
	if len(names) < 40 {
		t.Fatalf("walked only %d names", len(names))
	}
	for _, n := range names {
		l := strings.ToLower(n)
		for _, word := range []string{"secret", "password", "privatekey", "private", "token", "value", "pem"} {
			if strings.Contains(l, word) {
				t.Errorf("Progress has a field %q", n)
			}
		}
	}
}
