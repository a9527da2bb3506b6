// Command compose_check loads a compose file with compose-go, the library
// behind `docker compose config`, and prints the resolved project. It exists
// because the project's machines have no Docker compose plugin: the same
// schema validation and interpolation run here instead.
//
// Usage: go run ./infra/compose_check compose.yaml
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "compose_check:", err)
		os.Exit(1)
	}
}

func run(files []string) error {
	opts, err := cli.NewProjectOptions(files, cli.WithOsEnv, cli.WithDotEnv, cli.WithName("tickline"))
	if err != nil {
		return err
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		return err
	}
	out, err := project.MarshalYAML()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
