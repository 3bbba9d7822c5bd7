package engine

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// intrinsicFuncs are the intrinsic functions the engine runs; any other
// States.* name is a load error rather than a surprise at run time.
var intrinsicFuncs = map[string]func(c *call, args []any) (any, error){
	"States.Format":       fnFormat,
	"States.StringToJson": fnStringToJSON,
	"States.JsonToString": fnJSONToString,
	"States.Array":        fnArray,
	"States.ArrayGetItem": fnArrayGetItem,
	"States.ArrayLength":  fnArrayLength,
	"States.UUID":         fnUUID,
	"States.MathAdd":      fnMathAdd,
}

// call is a parsed intrinsic function call.
type call struct {
	src  string
	name string
	args []arg
}

// arg is one argument: a literal, a path or a nested call. raw keeps a
// string literal's text before unescaping, which States.Format needs to tell
// an escaped \{ from a placeholder.
type arg struct {
	literal any
	raw     string
	isRaw   bool
	path    *path
	call    *call
}

// looksIntrinsic reports whether s is meant as an intrinsic function call.
func looksIntrinsic(s string) bool { return strings.HasPrefix(s, "States.") }

func parseCall(src string) (*call, error) {
	p := &callParser{s: src}
	c, err := p.call()
	if err != nil {
		return nil, fmt.Errorf("intrinsic %q: %v", src, err)
	}
	if p.skipSpace(); p.i != len(p.s) {
		return nil, fmt.Errorf("intrinsic %q: unexpected %q", src, p.s[p.i:])
	}
	return c, nil
}

type callParser struct {
	s string
	i int
}

func (p *callParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *callParser) call() (*call, error) {
	start := p.i
	open := strings.IndexByte(p.s[p.i:], '(')
	if open < 0 {
		return nil, fmt.Errorf("missing (")
	}
	name := strings.TrimSpace(p.s[p.i : p.i+open])
	if _, ok := intrinsicFuncs[name]; !ok {
		return nil, fmt.Errorf("unsupported intrinsic %s", name)
	}
	p.i += open + 1
	c := &call{name: name}
	for {
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ')' && len(c.args) == 0 {
			break
		}
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("missing )")
		}
		if p.s[p.i] == ')' {
			break
		}
		if p.s[p.i] != ',' {
			return nil, fmt.Errorf("unexpected %q", p.s[p.i:])
		}
		p.i++
	}
	p.i++
	c.src = p.s[start:p.i]
	return c, nil
}

func (p *callParser) arg() (arg, error) {
	rest := p.s[p.i:]
	switch {
	case rest == "":
		return arg{}, fmt.Errorf("missing argument")
	case rest[0] == '\'':
		return p.stringLiteral()
	case rest[0] == '$':
		return p.pathArg()
	case looksIntrinsic(rest):
		c, err := p.call()
		return arg{call: c}, err
	}
	end := strings.IndexAny(rest, ",) ")
	if end < 0 {
		end = len(rest)
	}
	tok := rest[:end]
	p.i += end
	v, err := decodeValue([]byte(tok))
	if err != nil {
		return arg{}, fmt.Errorf("bad argument %q", tok)
	}
	if _, isObject := v.(map[string]any); isObject {
		return arg{}, fmt.Errorf("bad argument %q", tok)
	}
	if _, isArray := v.([]any); isArray {
		return arg{}, fmt.Errorf("bad argument %q", tok)
	}
	return arg{literal: v}, nil
}

func (p *callParser) stringLiteral() (arg, error) {
	var b strings.Builder
	start := p.i + 1
	for i := start; i < len(p.s); i++ {
		switch p.s[i] {
		case '\\':
			if i+1 >= len(p.s) {
				return arg{}, fmt.Errorf("dangling \\")
			}
			i++
			b.WriteByte(p.s[i])
		case '\'':
			p.i = i + 1
			return arg{literal: b.String(), raw: p.s[start:i], isRaw: true}, nil
		default:
			b.WriteByte(p.s[i])
		}
	}
	return arg{}, fmt.Errorf("unterminated string")
}

// pathArg reads a path up to the next comma or parenthesis that is not
// inside a bracketed, quoted member name.
func (p *callParser) pathArg() (arg, error) {
	start, quote := p.i, byte(0)
	for ; p.i < len(p.s); p.i++ {
		ch := p.s[p.i]
		if quote != 0 {
			if ch == quote {
				quote = 0
			}
			continue
		}
		if ch == '\'' || ch == '"' {
			quote = ch
		} else if ch == ',' || ch == ')' || ch == ' ' {
			break
		}
	}
	pa, err := parsePath(p.s[start:p.i], true)
	return arg{path: pa}, err
}

// eval runs the call against the state's data and context object.
func (c *call) eval(data, contextObject any) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		v, err := a.eval(data, contextObject)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	v, err := intrinsicFuncs[c.name](c, args)
	if err != nil {
		return nil, runtimeError("The evaluation of %s failed: %v", c.src, err)
	}
	return v, nil
}

func (a arg) eval(data, contextObject any) (any, error) {
	switch {
	case a.call != nil:
		return a.call.eval(data, contextObject)
	case a.path != nil:
		v, ok := a.path.get(data, contextObject)
		if !ok {
			return nil, runtimeError("The JSONPath %q could not be found in the input %s",
				a.path.src, compact(data))
		}
		return v, nil
	}
	return a.literal, nil
}

func wantArgs(c *call, args []any, n int) error {
	if len(args) != n {
		return fmt.Errorf("%s takes %d arguments, got %d", c.name, n, len(args))
	}
	return nil
}

func fnFormat(c *call, args []any) (any, error) {
	if len(args) == 0 || !c.args[0].isRaw {
		return nil, fmt.Errorf("the first argument must be a string literal")
	}
	var b strings.Builder
	raw, next := c.args[0].raw, 1
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw):
			i++
			b.WriteByte(raw[i])
		case strings.HasPrefix(raw[i:], "{}"):
			if next >= len(args) {
				return nil, fmt.Errorf("more placeholders than arguments")
			}
			s, err := formatArg(args[next])
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
			next, i = next+1, i+1
		default:
			b.WriteByte(raw[i])
		}
	}
	if next != len(args) {
		return nil, fmt.Errorf("more arguments than placeholders")
	}
	return b.String(), nil
}

func formatArg(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any, []any:
		return "", fmt.Errorf("an argument is not a string, number, boolean or null")
	}
	return compact(v), nil
}

func fnStringToJSON(c *call, args []any) (any, error) {
	if err := wantArgs(c, args, 1); err != nil {
		return nil, err
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("the argument is not a string")
	}
	v, err := decodeValue([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("the argument is not JSON: %v", err)
	}
	return v, nil
}

func fnJSONToString(c *call, args []any) (any, error) {
	if err := wantArgs(c, args, 1); err != nil {
		return nil, err
	}
	if c.args[0].path == nil {
		return nil, fmt.Errorf("the argument must be a path")
	}
	return compact(args[0]), nil
}

func fnArray(_ *call, args []any) (any, error) { return append([]any{}, args...), nil }

func fnArrayGetItem(c *call, args []any) (any, error) {
	if err := wantArgs(c, args, 2); err != nil {
		return nil, err
	}
	a, ok := args[0].([]any)
	if !ok {
		return nil, fmt.Errorf("the first argument is not an array")
	}
	i, err := intArg(args[1])
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, fmt.Errorf("index %d is out of bounds", i)
	}
	return a[i], nil
}

func fnArrayLength(c *call, args []any) (any, error) {
	if err := wantArgs(c, args, 1); err != nil {
		return nil, err
	}
	a, ok := args[0].([]any)
	if !ok {
		return nil, fmt.Errorf("the argument is not an array")
	}
	return json.Number(strconv.Itoa(len(a))), nil
}

func fnUUID(c *call, args []any) (any, error) {
	if err := wantArgs(c, args, 0); err != nil {
		return nil, err
	}
	return newUUID(), nil
}

// fnMathAdd adds two integers; AWS limits both to the 32-bit range.
func fnMathAdd(c *call, args []any) (any, error) {
	if err := wantArgs(c, args, 2); err != nil {
		return nil, err
	}
	a, err := intArg(args[0])
	if err != nil {
		return nil, err
	}
	b, err := intArg(args[1])
	if err != nil {
		return nil, err
	}
	return json.Number(strconv.FormatInt(a+b, 10)), nil
}

func intArg(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s is not a number", compact(v))
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, fmt.Errorf("%s is not a 32-bit integer", n)
	}
	return int64(f), nil
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
