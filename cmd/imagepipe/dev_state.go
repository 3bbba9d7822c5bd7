package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/johannesboyne/gofakes3"

	"github.com/imagepipe/imagepipe/statemachine/engine"
)

// The data directory holds the signing key and one snapshot of the stack:
//
//	<data-dir>/jwt-signing-key.pem
//	<data-dir>/snapshot/state.json     executions, items, queued messages
//	<data-dir>/snapshot/objects/<n>    the S3 objects' bytes
//
// A snapshot is written on a clean shutdown, after the pipe and the engine
// have stopped, so it is consistent: no execution is half-recorded and no
// queued message is also being handled. It is written beside the old one and
// swapped in by renames; snapshot.old is what survives a crash between them.
const (
	snapshotDir    = "snapshot"
	snapshotNew    = "snapshot.new"
	snapshotOld    = "snapshot.old"
	stateFile      = "state.json"
	objectsDir     = "objects"
	snapshotFormat = 1
)

// devState is what a snapshot holds.
type devState struct {
	Format int `json:"format"`
	// Executions are the engine's records with their histories.
	Executions []savedExecution `json:"executions"`
	// Items are the metadata table's items in DynamoDB's JSON form.
	Items []map[string]ddbValue `json:"items"`
	// Queue and DLQ are the bodies of messages that no execution took yet.
	Queue []string `json:"queue"`
	DLQ   []string `json:"dlq"`
	// Redrive are the executions the shutdown aborted; the next start
	// redrives them, so that they end as if the process had not stopped.
	Redrive []string `json:"redrive"`
	// Objects are the S3 objects; each one's bytes are in objects/<File>.
	Objects []savedObject `json:"objects"`

	// dir is where the snapshot was read from.
	dir string
}

type savedExecution struct {
	Record  engine.Record  `json:"record"`
	History []engine.Event `json:"history"`
}

type savedObject struct {
	Bucket   string            `json:"bucket"`
	Key      string            `json:"key"`
	Metadata map[string]string `json:"metadata"`
	Size     int64             `json:"size"`
	File     string            `json:"file"`
}

// loadState reads the snapshot of dataDir; a directory without one is a
// first start and gives an empty state.
func loadState(dataDir string) (*devState, error) {
	for _, dir := range []string{snapshotDir, snapshotOld} {
		raw, err := os.ReadFile(filepath.Join(dataDir, dir, stateFile))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		st := &devState{}
		if err := json.Unmarshal(raw, st); err != nil {
			return nil, fmt.Errorf("dev: %s/%s: %w", dir, stateFile, err)
		}
		if st.Format != snapshotFormat {
			return nil, fmt.Errorf("dev: %s/%s has format %d, want %d", dir, stateFile,
				st.Format, snapshotFormat)
		}
		st.dir = filepath.Join(dataDir, dir)
		return st, nil
	}
	return &devState{Format: snapshotFormat}, nil
}

// engineStore returns a memory store holding the saved executions.
func (st *devState) engineStore() (*engine.MemoryStore, error) {
	store := engine.NewMemoryStore()
	for _, x := range st.Executions {
		if err := store.Put(x.Record); err != nil {
			return nil, err
		}
		if err := store.Append(x.Record.ExecutionArn, x.History...); err != nil {
			return nil, err
		}
	}
	return store, nil
}

// restore puts the saved objects, items and messages back into the stack.
// Objects go straight into the emulator's backend: through the wire, every
// original would send its S3 event again and be processed a second time.
func (s *devServer) restore(ctx context.Context, st *devState) error {
	backend := s.p.Stack.Backend()
	for _, o := range st.Objects {
		f, err := os.Open(filepath.Join(st.dir, objectsDir, o.File))
		if err != nil {
			return err
		}
		_, err = backend.PutObject(o.Bucket, o.Key, o.Metadata, f, o.Size, nil)
		f.Close()
		if err != nil {
			return fmt.Errorf("dev: restore s3://%s/%s: %w", o.Bucket, o.Key, err)
		}
	}

	for _, it := range st.Items {
		item := make(map[string]types.AttributeValue, len(it))
		for k, v := range it {
			item[k] = v.AttributeValue
		}
		if _, err := s.ddb.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.p.Stack.TableName), Item: item,
		}); err != nil {
			return fmt.Errorf("dev: restore item: %w", err)
		}
	}

	for _, body := range st.DLQ {
		if _, err := s.sqs.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: aws.String(s.p.Stack.DLQURL), MessageBody: aws.String(body),
		}); err != nil {
			return fmt.Errorf("dev: restore dead-letter message: %w", err)
		}
	}
	for _, body := range st.Queue {
		if _, err := s.p.Stack.SendRaw(ctx, body); err != nil {
			return err
		}
	}
	for _, arn := range st.Redrive {
		if err := s.p.Machine.Redrive(ctx, arn); err != nil {
			// Someone may have redriven it by hand before the shutdown
			// snapshot; what matters is that it is not left behind silently.
			s.log.Warn("restore: redrive failed", "executionArn", arn, "error", err.Error())
			continue
		}
		s.log.Info("restore: redriven after the restart", "executionArn", arn)
	}
	s.log.Info("state restored", "dataDir", s.cfg.DataDir, "objects", len(st.Objects),
		"items", len(st.Items), "executions", len(st.Executions), "queued", len(st.Queue),
		"deadLettered", len(st.DLQ), "redriven", len(st.Redrive))
	return nil
}

// capture collects what a snapshot holds. The pipe and the engine must have
// stopped; the emulators must still run.
func (s *devServer) capture(ctx context.Context, redrive []string) (*devState, error) {
	st := &devState{Format: snapshotFormat, Redrive: redrive}

	recs, err := s.store.List()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		h, err := s.store.History(r.ExecutionArn)
		if err != nil {
			return nil, err
		}
		st.Executions = append(st.Executions, savedExecution{Record: r, History: h})
	}

	pages := dynamodb.NewScanPaginator(s.ddb, &dynamodb.ScanInput{
		TableName: aws.String(s.p.Stack.TableName),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dev: scan the table: %w", err)
		}
		for _, it := range page.Items {
			saved := make(map[string]ddbValue, len(it))
			for k, v := range it {
				saved[k] = ddbValue{v}
			}
			st.Items = append(st.Items, saved)
		}
	}

	for _, q := range []struct {
		url  string
		dest *[]string
	}{{s.p.Stack.QueueURL, &st.Queue}, {s.p.Stack.DLQURL, &st.DLQ}} {
		recs, err := s.p.Stack.DrainQueue(ctx, q.url)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			*q.dest = append(*q.dest, r.Body)
		}
	}
	return st, nil
}

// save writes st and the emulator's objects as the data directory's
// snapshot.
func (s *devServer) save(st *devState) error {
	dir := s.cfg.DataDir
	tmp := filepath.Join(dir, snapshotNew)
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, objectsDir), 0o700); err != nil {
		return err
	}

	backend := s.p.Stack.Backend()
	for _, bucket := range []string{s.p.Stack.OriginalsBucket, s.p.Stack.ProcessedBucket} {
		list, err := backend.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
		if err != nil {
			return err
		}
		for _, c := range list.Contents {
			o, err := saveObject(backend, bucket, c.Key, tmp, len(st.Objects))
			if err != nil {
				return err
			}
			st.Objects = append(st.Objects, o)
		}
	}

	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(tmp, stateFile), raw, 0o600); err != nil {
		return err
	}

	cur, old := filepath.Join(dir, snapshotDir), filepath.Join(dir, snapshotOld)
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	if err := os.Rename(cur, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, cur); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

func saveObject(backend gofakes3.Backend, bucket, key, dir string, n int) (savedObject, error) {
	obj, err := backend.GetObject(bucket, key, nil)
	if err != nil {
		return savedObject{}, fmt.Errorf("dev: save s3://%s/%s: %w", bucket, key, err)
	}
	defer obj.Contents.Close()
	name := strconv.Itoa(n)
	f, err := os.OpenFile(filepath.Join(dir, objectsDir, name),
		os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return savedObject{}, err
	}
	size, err := io.Copy(f, obj.Contents)
	if err = errors.Join(err, f.Close()); err != nil {
		return savedObject{}, err
	}
	return savedObject{Bucket: bucket, Key: key, Metadata: obj.Metadata, Size: size,
		File: name}, nil
}

// ddbValue is a DynamoDB attribute value in DynamoDB's own JSON form
// ({"S": "…"}, {"N": "1"}, {"M": {…}}, …), which keeps every type exact.
type ddbValue struct{ types.AttributeValue }

// ddbWire is the JSON shape of one attribute value.
type ddbWire struct {
	S    *string             `json:"S,omitempty"`
	N    *string             `json:"N,omitempty"`
	B    []byte              `json:"B,omitempty"`
	BOOL *bool               `json:"BOOL,omitempty"`
	NULL bool                `json:"NULL,omitempty"`
	L    []ddbValue          `json:"L,omitempty"`
	M    map[string]ddbValue `json:"M,omitempty"`
	SS   []string            `json:"SS,omitempty"`
	NS   []string            `json:"NS,omitempty"`
	BS   [][]byte            `json:"BS,omitempty"`
	// Empty lists and maps must survive too; omitempty would drop them.
	EmptyL bool `json:"emptyL,omitempty"`
	EmptyM bool `json:"emptyM,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (v ddbValue) MarshalJSON() ([]byte, error) {
	var w ddbWire
	switch a := v.AttributeValue.(type) {
	case *types.AttributeValueMemberS:
		w.S = &a.Value
	case *types.AttributeValueMemberN:
		w.N = &a.Value
	case *types.AttributeValueMemberB:
		w.B = a.Value
	case *types.AttributeValueMemberBOOL:
		w.BOOL = &a.Value
	case *types.AttributeValueMemberNULL:
		w.NULL = true
	case *types.AttributeValueMemberL:
		w.EmptyL = len(a.Value) == 0
		for _, e := range a.Value {
			w.L = append(w.L, ddbValue{e})
		}
	case *types.AttributeValueMemberM:
		w.EmptyM = len(a.Value) == 0
		w.M = map[string]ddbValue{}
		for k, e := range a.Value {
			w.M[k] = ddbValue{e}
		}
	case *types.AttributeValueMemberSS:
		w.SS = a.Value
	case *types.AttributeValueMemberNS:
		w.NS = a.Value
	case *types.AttributeValueMemberBS:
		w.BS = a.Value
	default:
		return nil, fmt.Errorf("dev: attribute value %T cannot be saved", a)
	}
	return json.Marshal(w)
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *ddbValue) UnmarshalJSON(data []byte) error {
	var w ddbWire
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	switch {
	case w.S != nil:
		v.AttributeValue = &types.AttributeValueMemberS{Value: *w.S}
	case w.N != nil:
		v.AttributeValue = &types.AttributeValueMemberN{Value: *w.N}
	case w.B != nil:
		v.AttributeValue = &types.AttributeValueMemberB{Value: w.B}
	case w.BOOL != nil:
		v.AttributeValue = &types.AttributeValueMemberBOOL{Value: *w.BOOL}
	case w.NULL:
		v.AttributeValue = &types.AttributeValueMemberNULL{Value: true}
	case w.L != nil || w.EmptyL:
		l := make([]types.AttributeValue, len(w.L))
		for i, e := range w.L {
			l[i] = e.AttributeValue
		}
		v.AttributeValue = &types.AttributeValueMemberL{Value: l}
	case w.M != nil || w.EmptyM:
		m := make(map[string]types.AttributeValue, len(w.M))
		for k, e := range w.M {
			m[k] = e.AttributeValue
		}
		v.AttributeValue = &types.AttributeValueMemberM{Value: m}
	case w.SS != nil:
		v.AttributeValue = &types.AttributeValueMemberSS{Value: w.SS}
	case w.NS != nil:
		v.AttributeValue = &types.AttributeValueMemberNS{Value: w.NS}
	case w.BS != nil:
		v.AttributeValue = &types.AttributeValueMemberBS{Value: w.BS}
	default:
		return errors.New("dev: a saved attribute value has no type")
	}
	return nil
}
