package engine

import (
	"encoding/json"
	"slices"
	"sync"
)

// Record is what a [Store] keeps of one execution: its description and the
// point a redrive resumes from.
type Record struct {
	Description
	// ResumeState is the state that was running when the execution last
	// stopped, and ResumeInput that state's input.
	ResumeState string
	ResumeInput json.RawMessage
}

// Store keeps executions and their histories. The engine serialises the
// writes of one execution, and never modifies a Record or Event slice after
// handing it over, so a Store may keep what it is given.
//
// The memory store from [NewMemoryStore] is the default; a store that
// survives restarts implements the same methods.
type Store interface {
	// Put creates or replaces the record of rec.ExecutionArn.
	Put(rec Record) error
	// Get returns the record of arn, or an error matching
	// [ErrExecutionDoesNotExist].
	Get(arn string) (Record, error)
	// List returns every record, in any order.
	List() ([]Record, error)
	// Append adds events to the history of arn.
	Append(arn string, events ...Event) error
	// History returns the history of arn, oldest first.
	History(arn string) ([]Event, error)
}

// MemoryStore is a [Store] that keeps everything in memory.
type MemoryStore struct {
	mu      sync.Mutex
	records map[string]Record
	events  map[string][]Event
}

// NewMemoryStore returns an empty [MemoryStore].
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{records: map[string]Record{}, events: map[string][]Event{}}
}

// Put implements [Store].
func (s *MemoryStore) Put(rec Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[rec.ExecutionArn] = rec
	return nil
}

// Get implements [Store].
func (s *MemoryStore) Get(arn string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[arn]
	if !ok {
		return Record{}, apiError(ErrExecutionDoesNotExist, "execution does not exist: %s", arn)
	}
	return rec, nil
}

// List implements [Store].
func (s *MemoryStore) List() ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.records))
	for _, r := range s.records {
		out = append(out, r)
	}
	return out, nil
}

// Append implements [Store].
func (s *MemoryStore) Append(arn string, events ...Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[arn] = append(s.events[arn], events...)
	return nil
}

// History implements [Store].
func (s *MemoryStore) History(arn string) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.records[arn]; !ok {
		return nil, apiError(ErrExecutionDoesNotExist, "execution does not exist: %s", arn)
	}
	return slices.Clone(s.events[arn]), nil
}
