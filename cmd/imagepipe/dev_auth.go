package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// devClientID is the app client id of the local user pool: the audience the
// authorizer requires, as an HTTP API JWT authorizer lists the Cognito app
// client ids.
const devClientID = "imagepipe-dev-client"

// devTokenTTL is how long a dev token is valid, as Cognito's ID tokens are
// by default.
const devTokenTTL = time.Hour

// devUserNamespace seeds the name-based UUIDs that stand in for Cognito's
// sub: the same username always gets the same sub, so a user signing in again
// (or after a restart) sees the same images.
var devUserNamespace = uuid.MustParse("5b0f1d6e-9a53-4d35-9f43-6d0c2f1e7a10")

// devUsername is what the dev sign-in accepts: Cognito-like usernames, and
// nothing that would need escaping anywhere.
var devUsername = regexp.MustCompile(`^[A-Za-z0-9._@+-]{1,64}$`)

// Errors of token verification. Their text reaches the client only in the
// WWW-Authenticate header's error_description, as API Gateway's does.
var (
	errTokenMissing   = errors.New("no bearer token")
	errTokenMalformed = errors.New("the token is not a JWT")
	errTokenAlg       = errors.New("the token is not signed with RS256 by this issuer's key")
	errTokenSignature = errors.New("the token's signature does not verify")
	errTokenIssuer    = errors.New("the token's issuer is not this user pool")
	errTokenAudience  = errors.New("the token is not for this app client")
	errTokenExpired   = errors.New("the token has expired")
	errTokenNotYet    = errors.New("the token is not valid yet")
)

// devAuth is the local user pool and the HTTP API's JWT authorizer in one: it
// mints RS256 ID tokens for dev users and verifies bearer tokens the way the
// authorizer verifies Cognito's (signature against the pool's key, issuer,
// audience, exp and nbf).
type devAuth struct {
	key      *rsa.PrivateKey
	kid      string
	issuer   string
	clientID string
	now      func() time.Time
}

// newDevAuth returns the authorizer for issuer. With a data directory the
// signing key is kept there, so tokens stay valid across restarts; without
// one a key is generated for this run only.
func newDevAuth(issuer, dataDir string) (*devAuth, error) {
	key, err := loadOrCreateKey(dataDir)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &devAuth{
		key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:12]),
		issuer: issuer, clientID: devClientID, now: time.Now,
	}, nil
}

// signingKeyFile is the PKCS #8 PEM file of the pool's key in the data dir.
const signingKeyFile = "jwt-signing-key.pem"

func loadOrCreateKey(dataDir string) (*rsa.PrivateKey, error) {
	path := ""
	if dataDir != "" {
		path = filepath.Join(dataDir, signingKeyFile)
		if raw, err := os.ReadFile(path); err == nil {
			return parseKey(raw)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return key, nil
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	raw := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := writeFileAtomic(path, raw, 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

func parseKey(raw []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, errors.New("dev: the signing key file is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("dev: signing key: %w", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("dev: the signing key is not an RSA key")
	}
	return key, nil
}

// devSub returns the stable sub of a dev username. Usernames are compared
// without case, as Cognito compares them by default.
func devSub(username string) string {
	return uuid.NewSHA1(devUserNamespace, []byte(strings.ToLower(username))).String()
}

// mint returns a signed ID token for username and its expiry.
func (a *devAuth) mint(username string) (string, time.Time, error) {
	if !devUsername.MatchString(username) {
		return "", time.Time{}, errors.New("a username is 1 to 64 letters, digits or ._@+-")
	}
	now := a.now().UTC()
	exp := now.Add(devTokenTTL)
	header := map[string]string{"alg": "RS256", "typ": "JWT", "kid": a.kid}
	claims := map[string]any{
		"sub":              devSub(username),
		"iss":              a.issuer,
		"aud":              a.clientID,
		"token_use":        "id",
		"cognito:username": strings.ToLower(username),
		"auth_time":        now.Unix(),
		"iat":              now.Unix(),
		"nbf":              now.Unix(),
		"exp":              exp.Unix(),
		"jti":              uuid.NewString(),
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", time.Time{}, err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", time.Time{}, err
	}
	signing := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", time.Time{}, err
	}
	return signing + "." + b64(sig), exp, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// verify checks a bearer token and returns its claims as API Gateway hands
// them to a payload 2.0 integration: every value a string.
func (a *devAuth) verify(token string) (map[string]string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errTokenMalformed
	}
	rawHeader, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	rawClaims, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, errTokenMalformed
	}

	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if json.Unmarshal(rawHeader, &header) != nil {
		return nil, errTokenMalformed
	}
	// Only RS256 with this pool's key: accepting the header's word for the
	// algorithm is how "none" and HS256-with-the-public-key attacks work.
	if header.Alg != "RS256" || header.Kid != a.kid {
		return nil, errTokenAlg
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&a.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return nil, errTokenSignature
	}

	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(rawClaims))
	dec.UseNumber()
	if dec.Decode(&claims) != nil {
		return nil, errTokenMalformed
	}
	if iss, _ := claims["iss"].(string); iss != a.issuer {
		return nil, errTokenIssuer
	}
	if !a.audienceOK(claims) {
		return nil, errTokenAudience
	}
	now := a.now().Unix()
	exp, ok := numericClaim(claims["exp"])
	if !ok || now >= exp {
		return nil, errTokenExpired
	}
	if nbf, ok := numericClaim(claims["nbf"]); ok && now < nbf {
		return nil, errTokenNotYet
	}
	return stringClaims(claims), nil
}

// audienceOK applies the authorizer's audience rule: aud (an ID token) or
// client_id (a Cognito access token) must name the app client.
func (a *devAuth) audienceOK(claims map[string]any) bool {
	switch aud := claims["aud"].(type) {
	case string:
		if aud == a.clientID {
			return true
		}
	case []any:
		for _, v := range aud {
			if v == a.clientID {
				return true
			}
		}
	}
	clientID, _ := claims["client_id"].(string)
	return clientID == a.clientID
}

func numericClaim(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	return int64(f), err == nil
}

// stringClaims renders claims as API Gateway does in
// requestContext.authorizer.jwt.claims: strings as they are, numbers in
// their JSON spelling, arrays as "[a b]".
func stringClaims(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = strconv.FormatBool(v)
		case []any:
			items := make([]string, len(v))
			for i, item := range v {
				items[i] = fmt.Sprint(item)
			}
			out[k] = "[" + strings.Join(items, " ") + "]"
		default:
			raw, _ := json.Marshal(v)
			out[k] = string(raw)
		}
	}
	return out
}

// jwks returns the pool's public key as a JSON Web Key Set, what the
// authorizer fetches from the issuer's /.well-known/jwks.json.
func (a *devAuth) jwks() map[string]any {
	pub := a.key.PublicKey
	return map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": a.kid,
		"n": b64(pub.N.Bytes()),
		"e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so that a crash never leaves half a file behind.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
