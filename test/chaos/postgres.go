package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// Postgres is a private PostgreSQL cluster the harness may stop and start at
// will, on a port of its own, so restarting it disturbs nothing else on the
// machine (other tests share the system cluster).
type Postgres struct {
	bin  string
	dir  string
	port int
	// asUser runs the server binaries as this user (Postgres refuses root).
	asUser string
}

// NewPostgres initialises a cluster under dir (trust auth, user postgres).
func NewPostgres(dir string, port int) (*Postgres, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	p := &Postgres{bin: bin, dir: filepath.Join(dir, "pgdata"), port: port}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("postgres refuses to run as root and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		// The postgres user must reach the data directory (dir's parents are
		// the caller's to choose: the harness uses the system's temp directory).
		if err := os.Chmod(dir, 0o711); err != nil {
			return nil, err
		}
		if err := os.Chown(p.dir, uid, gid); err != nil {
			return nil, err
		}
		p.asUser = "postgres"
	}
	if out, err := p.run("initdb", "-D", p.dir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return p, nil
}

func postgresBinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return "", fmt.Errorf("no PostgreSQL server binaries (pg_ctl) found")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

func (p *Postgres) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(p.bin, tool)
	var cmd *exec.Cmd
	if p.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", p.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	return cmd.CombinedOutput()
}

// URL is the connection URL of database db.
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// Start starts the server and waits until it accepts connections.
func (p *Postgres) Start() error {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c max_connections=200", p.port, p.dir)
	if out, err := p.run("pg_ctl", "-D", p.dir, "-l", filepath.Join(p.dir, "server.log"), "-o", opts, "-w", "start"); err != nil {
		return fmt.Errorf("start postgres: %w\n%s", err, out)
	}
	return nil
}

// Crash stops the server the way a crash would: no shutdown checkpoint,
// connections cut, crash recovery at the next start.
func (p *Postgres) Crash() error {
	if out, err := p.run("pg_ctl", "-D", p.dir, "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("stop postgres: %w\n%s", err, out)
	}
	return nil
}
