package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

const (
	// ConfigDirEnv names the environment variable that overrides the config
	// directory.
	ConfigDirEnv = "M365WIZARD_CONFIG_DIR"
	// ProgressFile and LogFile are the file names inside the config directory.
	ProgressFile = "progress.json"
	LogFile      = "activity.jsonl"
)

// ConfigDir is where the wizard keeps its files: $M365WIZARD_CONFIG_DIR when
// set (made absolute), else os.UserConfigDir()/m365wizard.
func ConfigDir() (string, error) {
	if d := os.Getenv(ConfigDirEnv); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", ConfigDirEnv, d, err)
		}
		return abs, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding your settings folder: %w (set %s to a folder of your choice)", err, ConfigDirEnv)
	}
	return filepath.Join(base, "m365wizard"), nil
}

// locks serialises access to each file within the process.
var locks sync.Map // absolute path -> *sync.Mutex

func lockFor(path string) *sync.Mutex {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	m, _ := locks.LoadOrStore(filepath.Clean(path), new(sync.Mutex))
	return m.(*sync.Mutex)
}

func ensureDir(dir string) error {
	if dir == "" {
		return errors.New("no config directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the wizard's folder: %w", err)
	}
	return nil
}

// Test hooks: a test makes a save fail half way or a rename fail.
var (
	afterPartialWrite func(tmp string) error
	rename            = os.Rename
)

// writeAtomic replaces dir/name with data: a temporary file in the same
// directory (mode 0600), fsync, rename over the old file, fsync of the
// directory. A failure at any point leaves the old file as it was and removes
// the temporary file.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp") // created 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	half := len(data) / 2
	if _, err = f.Write(data[:half]); err != nil {
		return err
	}
	if afterPartialWrite != nil {
		if err = afterPartialWrite(tmp); err != nil {
			return err
		}
	}
	if _, err = f.Write(data[half:]); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = renameRetry(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// renameRetry renames, retrying briefly on Windows where a virus scanner or
// indexer holding the target open makes MoveFileEx fail with "access denied"
// for a moment.
func renameRetry(from, to string) error {
	attempts := 1
	if runtime.GOOS == "windows" {
		attempts = 5
	}
	return retry(attempts, 20*time.Millisecond, func() error { return rename(from, to) })
}

func retry(attempts int, pause time.Duration, f func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = f(); err == nil || !errors.Is(err, fs.ErrPermission) {
			return err
		}
		if i+1 < attempts {
			time.Sleep(pause * time.Duration(i+1))
		}
	}
	return err
}

// syncDir makes a rename durable. Windows cannot fsync a directory (and
// NTFS journals the rename), so there it is skipped; elsewhere a failure only
// weakens durability after a power cut and is not reported.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
