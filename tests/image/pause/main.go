// The Pod sandbox's process for the local test node (tests/env/node-up.sh): it holds the Pod's
// namespaces, reaps children it inherits and exits on SIGINT or SIGTERM. A stand-in for the
// upstream pause image, which cannot be pulled where the tests run.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
