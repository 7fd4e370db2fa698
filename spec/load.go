package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"
)

// FieldError is one problem with the spec, at a field path such as spec.nodes[2].ip.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// SpecError is every problem found in one spec file.
type SpecError struct {
	File   string
	Errors []error
}

func (e *SpecError) Error() string {
	var b strings.Builder
	n := len(e.Errors)
	word := "problems"
	if n == 1 {
		word = "problem"
	}
	fmt.Fprintf(&b, "%s has %d %s:", e.File, n, word)
	for _, err := range e.Errors {
		fmt.Fprintf(&b, "\n  %s", err)
	}
	return b.String()
}

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// LoadFile reads, defaults and validates a spec file. Every problem is
// reported at once, in one *SpecError naming the file.
func LoadFile(path string) (*Cluster, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read spec %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("failed to read spec: %w", err)
	}
	return Load(data, abs)
}

// Load parses, defaults and validates spec bytes; file names the spec (its
// directory anchors relative paths).
func Load(data []byte, file string) (*Cluster, error) {
	c, errs := Decode(data, file)
	if c != nil {
		// unknown fields and type errors do not hide the other problems:
		// validate what was read, except the fields that could not be
		c.SetDefaults()
		if verrs := c.Validate(); verrs != nil {
			errs = multierror.Append(errs, unreported(verrs.Errors, errs)...)
		}
	}
	if errs != nil {
		return nil, &SpecError{File: file, Errors: errs.Errors}
	}
	return c, nil
}

// Decode parses spec bytes strictly: unknown fields and YAML syntax errors
// are reported with their line and field path. The cluster is returned
// (with errors) when only unknown fields were found, so that validation can
// report its problems too; it is nil when the YAML could not be read.
func Decode(data []byte, file string) (*Cluster, *multierror.Error) {
	var errs *multierror.Error
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, multierror.Append(errs, fieldErr("", msgEmpty, file))
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, multierror.Append(errs, fieldErr("", msgYAML, "invalid YAML", yamlMessage(err)))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, multierror.Append(errs, fieldErr("", "the file holds more than one YAML document: keep one cluster spec per file"))
	}
	lines := map[int]string{}
	for _, e := range checkFields(&root, reflect.TypeOf(Cluster{}), "", lines) {
		errs = multierror.Append(errs, e)
	}
	c := &Cluster{File: file, Dir: filepath.Dir(file)}
	if err := root.Decode(c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, appendDecodeErrors(errs, err, lines)
		}
		// the rest decoded: validation reports its problems too
		return c, appendDecodeErrors(errs, err, lines)
	}
	return c, errs
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// appendDecodeErrors turns yaml.v3 type errors into field-path errors.
func appendDecodeErrors(errs *multierror.Error, err error, lines map[int]string) *multierror.Error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return multierror.Append(errs, fieldErr("", msgYAML, "invalid spec", yamlMessage(err)))
	}
	for _, msg := range te.Errors {
		path := ""
		if m := lineRE.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			path = lines[n]
			msg = fmt.Sprintf("%s (line %d)", typeMessage(m[2]), n)
		}
		if strings.Contains(msg, "not found in type") {
			continue // reported by checkFields with its path
		}
		errs = multierror.Append(errs, fieldErr(path, "%s", msg))
	}
	return errs
}

func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// checkFields walks the YAML tree against the Go types, reporting unknown
// fields with their full path and recording the path of every line.
func checkFields(n *yaml.Node, t reflect.Type, path string, lines map[int]string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return checkFields(n.Content[0], t, path, lines)
	}
	if _, ok := lines[n.Line]; !ok && path != "" {
		lines[n.Line] = path
	}
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		return checkStruct(n, t, path, lines)
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		var errs []error
		for i, item := range n.Content {
			errs = append(errs, checkFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), lines)...)
		}
		return errs
	}
	return nil
}

func checkStruct(n *yaml.Node, t reflect.Type, path string, lines map[int]string) []error {
	if t == reflect.TypeOf(Duration{}) {
		return nil
	}
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		p := join(path, key.Value)
		lines[key.Line] = p
		ft, ok := fields[key.Value]
		if !ok {
			errs = append(errs, fieldErr(p, msgUnknownField, key.Line, knownFields(fields)))
			continue
		}
		errs = append(errs, checkFields(val, ft, p, lines)...)
	}
	return errs
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func knownFields(fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

var unmarshalRE = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (.+)$")

// typeMessage rewords a yaml.v3 type error for people.
func typeMessage(msg string) string {
	m := unmarshalRE.FindStringSubmatch(msg)
	if m == nil {
		return strings.ReplaceAll(msg, "!!", "")
	}
	return fmt.Sprintf("%s is not %s", m[2], goTypeWord(m[3]))
}

func goTypeWord(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "int":
		return "a whole number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "spec."):
		return "a mapping of fields"
	}
	return "of type " + t
}

// unreported drops the validation errors of fields that decoding already
// reported (a wrong type leaves the field empty: "is required" would repeat it).
func unreported(verrs []error, decoded *multierror.Error) []error {
	if decoded == nil {
		return verrs
	}
	seen := map[string]bool{}
	for _, e := range decoded.Errors {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Path != "" {
			seen[fe.Path] = true
		}
	}
	var out []error
	for _, e := range verrs {
		var fe *FieldError
		if errors.As(e, &fe) && seen[fe.Path] {
			continue
		}
		out = append(out, e)
	}
	return out
}
