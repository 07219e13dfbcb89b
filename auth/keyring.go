package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// tokenPrefix starts every token, so that secret scanners and people can
// tell a Parley token when they see one.
const tokenPrefix = "parley_"

// maxTokenLen bounds the tokens looked up; real ones are 50 bytes.
const maxTokenLen = 256

// reloadInterval is how often a running server looks at the token file for
// changes: a revoked token stops working within it.
const reloadInterval = time.Second

// Token is one entry of the token file. The token itself is not kept: only
// its SHA-256 hash is.
type Token struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	SHA256  string    `json:"sha256"` // hex
	Created time.Time `json:"created"`
}

// file is the token file's format.
type file struct {
	Tokens []Token `json:"tokens"`
}

// validName is what a token's name may look like: short, printable, safe in
// logs and on the command line.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Keyring is the set of tokens of a token file, as the server checks
// requests against it. It looks at the file again at most once a second and
// reloads it when it changed, so that tokens created or revoked with the
// token commands take effect on a running server without a restart.
type Keyring struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	entries []entry
	stat    fs.FileInfo // of the file as last loaded
	checked time.Time
}

type entry struct {
	name string
	role Role
	hash [sha256.Size]byte
}

// Load reads the token file at path. The file must exist: a server told to
// use a token file that is not there is misconfigured, and starting with no
// tokens would hide that.
func Load(path string) (*Keyring, error) {
	k := &Keyring{path: path, now: time.Now}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Len is the number of tokens.
func (k *Keyring) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.entries)
}

// Lookup returns the caller that token identifies. It hashes the token and
// compares the hash with every entry in constant time, so neither the
// answer's timing nor an early exit tells how much of a guess was right.
func (k *Keyring) Lookup(token string) (Caller, bool) {
	if k == nil || len(token) > maxTokenLen {
		return Caller{}, false
	}
	sum := sha256.Sum256([]byte(token))
	k.mu.Lock()
	k.refresh()
	entries := k.entries
	k.mu.Unlock()

	found := -1
	for i := range entries {
		if subtle.ConstantTimeCompare(sum[:], entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Caller{}, false
	}
	return Caller{Name: entries[found].name, Role: entries[found].role}, true
}

// refresh reloads the file when it changed since the last load. A file that
// cannot be read any more leaves no valid token: failing closed is the safe
// answer to a token file that was deleted or damaged. k.mu is held.
func (k *Keyring) refresh() {
	now := k.now()
	if now.Sub(k.checked) < reloadInterval {
		return
	}
	k.checked = now
	fi, err := os.Stat(k.path)
	if err == nil && k.stat != nil && os.SameFile(fi, k.stat) && fi.ModTime().Equal(k.stat.ModTime()) && fi.Size() == k.stat.Size() {
		return
	}
	if err := k.reloadLocked(); err != nil {
		slog.Error("token file unreadable; refusing every token until it is fixed", "file", k.path, "error", err)
		k.entries, k.stat = nil, nil
		return
	}
	slog.Info("reloaded the token file", "file", k.path, "tokens", len(k.entries))
}

func (k *Keyring) reload() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.checked = k.now()
	return k.reloadLocked()
}

func (k *Keyring) reloadLocked() error {
	f, err := os.Open(k.path)
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	tf, err := decode(f.Name(), f)
	if err != nil {
		return err
	}
	entries := make([]entry, 0, len(tf.Tokens))
	for _, t := range tf.Tokens {
		h, err := hex.DecodeString(t.SHA256)
		if err != nil || len(h) != sha256.Size || !validName.MatchString(t.Name) || !t.Role.Allows(RoleRead) {
			return fmt.Errorf("token file %s: entry %q is malformed; recreate it with parley token create", k.path, t.Name)
		}
		e := entry{name: t.Name, role: t.Role}
		copy(e.hash[:], h)
		entries = append(entries, e)
	}
	k.entries, k.stat = entries, fi
	return nil
}

func decode(name string, r io.Reader) (*file, error) {
	var tf file
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tf); err != nil {
		return nil, fmt.Errorf("token file %s is not a Parley token file: %w", name, err)
	}
	return &tf, nil
}

// readFile reads the token file at path; a missing file is an empty one.
func readFile(path string) (*file, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &file{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	return decode(path, f)
}

// writeFile replaces the token file at path atomically: the new content
// goes to a temporary file in the same directory, is synced, and is renamed
// over the old one, so that a crash or a concurrently reloading server sees
// either the old file or the new one, never half of one. The file is
// readable by its owner only.
func writeFile(path string, tf *file) error {
	if tf.Tokens == nil {
		tf.Tokens = []Token{}
	}
	b, err := json.MarshalIndent(tf, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".parley-tokens-*")
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable where the platform allows
		d.Close()
	}
	return nil
}

// Create adds a token named name with role to the token file at path,
// creating the file when missing, and returns the token. The token is
// returned only here: the file keeps its hash. Create and Revoke hold a
// lock while they read, change and replace the file, so that two of them
// run at once do not lose either change.
func Create(path, name string, role Role, now time.Time) (string, error) {
	if !validName.MatchString(name) {
		return "", fmt.Errorf("token name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	if !role.Allows(RoleRead) || role > RoleAdmin {
		return "", fmt.Errorf("role %v cannot be given to a token", role)
	}
	unlock, err := lockFile(path)
	if err != nil {
		return "", err
	}
	defer unlock()
	tf, err := readFile(path)
	if err != nil {
		return "", err
	}
	for _, t := range tf.Tokens {
		if t.Name == name {
			return "", fmt.Errorf("a token named %q exists; revoke it first or choose another name", name)
		}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(token))
	tf.Tokens = append(tf.Tokens, Token{Name: name, Role: role, SHA256: hex.EncodeToString(sum[:]), Created: now.UTC().Truncate(time.Second)})
	if err := writeFile(path, tf); err != nil {
		return "", err
	}
	return token, nil
}

// List returns the tokens of the token file at path, without secrets.
func List(path string) ([]Token, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	tf, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return tf.Tokens, nil
}

// Revoke removes the token named name from the token file at path. A
// running server stops accepting it within a second.
func Revoke(path, name string) error {
	unlock, err := lockFile(path)
	if err != nil {
		return err
	}
	defer unlock()
	tf, err := readFile(path)
	if err != nil {
		return err
	}
	kept := tf.Tokens[:0]
	for _, t := range tf.Tokens {
		if t.Name != name {
			kept = append(kept, t)
		}
	}
	if len(kept) == len(tf.Tokens) {
		return fmt.Errorf("no token named %q in %s", name, path)
	}
	tf.Tokens = kept
	return writeFile(path, tf)
}
