package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrLocked means another writer holds the output folder.
var ErrLocked = errors.New("output folder is locked by another writer")

// Holder describes the process holding a lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

// LockError names the holder of a lock.
type LockError struct {
	Path   string
	Holder Holder
}

func (e *LockError) Error() string {
	if e.Holder.PID == 0 {
		// The holder has the lock but has not written who it is yet (or
		// its note is unreadable): say so, not "pid 0 on , since 0001".
		return fmt.Sprintf("%s: %v, which has not said who it is yet", e.Path, ErrLocked)
	}
	return fmt.Sprintf("%s: %v: pid %d on %s, %s since %s", e.Path, ErrLocked,
		e.Holder.PID, e.Holder.Host, e.Holder.Command, e.Holder.Started.Format(time.RFC3339))
}

func (e *LockError) Unwrap() error { return ErrLocked }

// Lock is the single-writer lock of an output folder. It is a file beside
// the folder (not inside it, since the folder is swapped on publish) held
// with flock, so the kernel releases it when the holder dies: a lock left by
// a killed process is simply taken over.
type Lock struct {
	f *os.File
}

// LockPath is where the lock of an output folder lives.
func LockPath(out string) (string, error) {
	out, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".lock"), nil
}

// Acquire takes the lock without waiting; a held lock gives a *LockError.
func Acquire(out, command string) (*Lock, error) {
	p, err := LockPath(out)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		var h Holder
		b, _ := os.ReadFile(p)
		_ = json.Unmarshal(b, &h)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockError{Path: p, Holder: h}
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second), Command: command}
	b, _ := json.Marshal(h)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing drops the flock
	l.f = nil
	return err
}
