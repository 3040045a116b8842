package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Proc is a supervised child process, as systemd or Kubernetes would run it:
// if it exits on its own it is started again a second later. Kill stops it
// without a restart until Start is called.
type Proc struct {
	Name string
	Path string
	Args []string
	Env  []string
	Log  string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	held     bool // killed on purpose: no restart
	restarts int  // restarts after exits nobody asked for
	logf     func(string, ...any)
}

// Start runs the process (again).
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = false
	return p.spawn()
}

func (p *Proc) spawn() error {
	log, err := os.OpenFile(p.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Env = p.Env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited = cmd, exited
	go func() {
		err := cmd.Wait()
		log.Close()
		close(exited)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.held || p.cmd != cmd {
			return
		}
		p.restarts++
		if p.logf != nil {
			p.logf("%s exited by itself (%v); restarting it in 1 s", p.Name, err)
		}
		time.AfterFunc(time.Second, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if !p.held && p.cmd == cmd {
				_ = p.spawn()
			}
		})
	}()
	return nil
}

// PID is the running process's id.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill sends sig and waits for the process to exit; it stays down until Start.
func (p *Proc) Kill(sig syscall.Signal) {
	p.mu.Lock()
	p.held = true
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Restarts counts the exits nobody asked for.
func (p *Proc) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}
