package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"parley/auth"
)

// runToken manages the API tokens of a token file: create, list, revoke.
func runToken(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = `Usage:
  parley token create --role read|write|admin --name NAME [--token-file FILE]
  parley token list [--token-file FILE]
  parley token revoke --name NAME [--token-file FILE]

Manage the API tokens a server started with --token-file accepts. create
prints the new token on standard output, once: the file keeps only its
SHA-256 hash. A running server picks up created and revoked tokens within a
second. Clients send a token as "Authorization: Bearer TOKEN".

Roles: read runs queries (needed only with serve --private), write also
runs mutations, admin also takes backups.
`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("token "+sub, usage, stderr)
	file := fs.String("token-file", getenv("PARLEY_TOKEN_FILE"), "token `file` (env PARLEY_TOKEN_FILE)")
	name := fs.String("name", "", "the token's `name`, for lists, logs and revoking")
	role := fs.String("role", "", "the token's `role`: read, write or admin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley token %s: give the token file with --token-file or PARLEY_TOKEN_FILE, and no arguments\n", sub)
		return errUsage
	}
	switch sub {
	case "create":
		r, err := auth.ParseRole(*role)
		if err != nil || *name == "" {
			fmt.Fprintln(stderr, "parley token create: give --name and --role (read, write or admin)")
			return errUsage
		}
		token, err := auth.Create(*file, *name, r, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		fmt.Fprintf(stderr, "created token %q with role %s in %s; it is shown only now, keep it secret\n", *name, r, *file)
		return nil
	case "list":
		tokens, err := auth.List(*file)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
		for _, t := range tokens {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Role, t.Created.Format(time.RFC3339))
		}
		return tw.Flush()
	case "revoke":
		if *name == "" {
			fmt.Fprintln(stderr, "parley token revoke: give --name")
			return errUsage
		}
		if err := auth.Revoke(*file, *name); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "revoked token %q; a running server refuses it within a second\n", *name)
		return nil
	}
	fmt.Fprintf(stderr, "parley token: unknown subcommand %q; use create, list or revoke\n", sub)
	return errUsage
}
