// Package pgtest starts a throwaway PostgreSQL server for a test: a fresh
// cluster in a temporary folder, reached only through a Unix socket there
// (no TCP port), stopped and removed when the test ends. A test that needs
// it is skipped, with a message that says so, where the server's programs
// (initdb, postgres) are not installed.
package pgtest

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // to wait for the server
)

// Start runs a server and returns a URL for its postgres database, as
// user postgres, without a password (the cluster trusts its socket).
func Start(t testing.TB) string {
	t.Helper()
	initdb, postgres := programs(t)
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cred := owner(t, dir)
	data := filepath.Join(dir, "data")
	if out, err := command(cred, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	srv := command(cred, postgres, "-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "fsync=off", "-p", "5432")
	log, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Stdout, srv.Stderr = log, log
	if err := srv.Start(); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGINT) // fast shutdown
		srv.Wait()
		log.Close()
	})
	uri := "postgres://postgres@/postgres?host=" + dir + "&port=5432"
	waitReady(t, uri, filepath.Join(dir, "server.log"))
	return uri
}

// programs finds initdb and postgres on PATH or in Debian's folder.
func programs(t testing.TB) (string, string) {
	t.Helper()
	var found []string
	for _, name := range []string{"initdb", "postgres"} {
		p, err := exec.LookPath(name)
		if err != nil {
			matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
			if len(matches) == 0 {
				t.Skipf("PostgreSQL's %s is not installed (apt-get install postgresql): the Postgres catalog test needs a server", name)
			}
			p = matches[len(matches)-1]
		}
		found = append(found, p)
	}
	return found[0], found[1]
}

// owner returns the credential the server runs under: the user "postgres"
// when the test runs as root (the server refuses root), else none. dir is
// handed to that user.
func owner(t testing.TB, dir string) *syscall.Credential {
	t.Helper()
	if os.Getuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("running as root and there is no user postgres to run the server as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

func waitReady(t testing.TB, uri, logPath string) {
	t.Helper()
	db, err := sql.Open("pgx", uri)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("postgres did not start: %v\n%s", err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
