package dnsrecords

import (
	"context"
	"errors"
	"fmt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Syncer keeps the records okdctl owns in etcd equal to a desired set. It
// reads the cluster zone's subtree and the reverse tree, and touches only
// keys whose value carries its owner marker.
type Syncer struct {
	Client    *clientv3.Client
	Endpoints []string
	Prefix    string
	Zone      string
	Owner     string
	Retry     Retry
	// MaxTxnOps splits a change into transactions of at most this many
	// operations; 0 sends one transaction and falls back to etcd's default
	// limit (128) only when etcd refuses it as too large.
	MaxTxnOps int
}

// NewClient connects to etcd without waiting for it (requests wait and retry).
func NewClient(endpoints []string) (*clientv3.Client, error) {
	// a short run waits on etcd for seconds, not minutes: reconnect quickly
	// (grpc's default backoff grows towards two minutes)
	reconnect := grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: 2 * time.Second,
		Backoff: backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second}})
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 2 * time.Second,
		Logger: zap.NewNop(), MaxCallSendMsgSize: 16 << 20, MaxCallRecvMsgSize: 64 << 20,
		DialOptions: []grpc.DialOption{reconnect}})
	if err != nil {
		return nil, fmt.Errorf("failed to create etcd client for %v: %w", endpoints, err)
	}
	return c, nil
}

// NewSyncer is the Syncer of in's zone.
func NewSyncer(in Input, client *clientv3.Client, endpoints []string) *Syncer {
	return &Syncer{Client: client, Endpoints: endpoints, Prefix: in.prefix(), Zone: in.Zone(), Owner: in.Owner()}
}

// Result is what a sync did.
type Result struct {
	Plan *Plan
	// Revision is etcd's revision after the sync (the read revision when nothing was written).
	Revision int64
	// Txns counts the transactions written (0 when nothing changed).
	Txns int
}

// errMoved means a guarded key changed between the read and the transaction.
var errMoved = errors.New("records changed in etcd while okdctl synced them")

// Sync plans and applies the difference, re-planning if another writer
// moved a key in between.
func (s *Syncer) Sync(ctx context.Context, desired []Entry) (*Result, error) {
	for attempt := 0; ; attempt++ {
		plan, err := s.Plan(ctx, desired)
		if err != nil {
			return nil, err
		}
		res, err := s.Apply(ctx, plan)
		if errors.Is(err, errMoved) && attempt < 3 {
			continue
		}
		return res, err
	}
}

// Plan reads etcd and computes the changes that make it hold desired.
func (s *Syncer) Plan(ctx context.Context, desired []Entry) (*Plan, error) {
	current, rev, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	return s.diff(desired, current, rev), nil
}

// PlanFromEmpty is the plan against an etcd that holds nothing (a dry run
// before etcd runs).
func (s *Syncer) PlanFromEmpty(desired []Entry) *Plan { return s.diff(desired, nil, 0) }

func (s *Syncer) diff(desired []Entry, current map[string]*mvccpb.KeyValue, rev int64) *Plan {
	p := &Plan{Revision: rev}
	want := make(map[string]bool, len(desired))
	for _, e := range desired {
		want[e.Key] = true
		kv := current[e.Key]
		if kv == nil {
			p.Changes = append(p.Changes, Change{Op: OpAdd, Key: e.Key, New: e.Value, Record: e.Record})
			continue
		}
		old, owner, _ := decodeEntry(s.Prefix, e.Key, kv.Value)
		switch {
		case owner != s.Owner && sameRecord(string(kv.Value), e.Value):
			p.Foreign = append(p.Foreign, e.Key)
		case owner != s.Owner:
			p.Conflicts = append(p.Conflicts, Conflict{Key: e.Key, Value: string(kv.Value), Want: e.Record})
		case string(kv.Value) == e.Value:
			p.Kept++
		default:
			p.Changes = append(p.Changes, Change{Op: OpChange, Key: e.Key, Old: string(kv.Value), New: e.Value,
				Record: e.Record, Was: old.Record, modRev: kv.ModRevision})
		}
	}
	for key, kv := range current {
		if want[key] {
			continue
		}
		if old, owner, err := decodeEntry(s.Prefix, key, kv.Value); err == nil && owner == s.Owner {
			p.Changes = append(p.Changes, Change{Op: OpDelete, Key: key, Old: string(kv.Value), Record: old.Record, modRev: kv.ModRevision})
		}
	}
	p.sort()
	return p
}

// read returns the keys under the zone and the reverse tree, at one revision.
func (s *Syncer) read(ctx context.Context) (map[string]*mvccpb.KeyValue, int64, error) {
	out := map[string]*mvccpb.KeyValue{}
	var rev int64
	for _, prefix := range []string{Key(s.Prefix, s.Zone) + "/", Key(s.Prefix, "arpa.") + "/"} {
		opts := []clientv3.OpOption{clientv3.WithPrefix()}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		var resp *clientv3.GetResponse
		err := s.Retry.do(ctx, "read DNS records from etcd", s.Endpoints, func(ctx context.Context) (err error) {
			resp, err = s.Client.Get(ctx, prefix, opts...)
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		rev = resp.Header.Revision
		for _, kv := range resp.Kvs {
			out[string(kv.Key)] = kv
		}
	}
	return out, rev, nil
}

// Apply writes a plan in one transaction guarded by the revisions it was
// read at. It writes nothing for an empty plan or one with conflicts.
func (s *Syncer) Apply(ctx context.Context, p *Plan) (*Result, error) {
	res := &Result{Plan: p, Revision: p.Revision}
	if len(p.Conflicts) > 0 {
		return res, &ConflictError{Conflicts: p.Conflicts}
	}
	if p.Empty() {
		return res, nil
	}
	batches := split(p.Changes, s.MaxTxnOps)
	err := s.commit(ctx, batches, res)
	if len(batches) == 1 && (errors.Is(err, rpctypes.ErrTooManyOps) || errors.Is(err, rpctypes.ErrRequestTooLarge)) {
		err = s.commit(ctx, split(p.Changes, etcdDefaultMaxTxnOps), res)
	}
	return res, err
}

const etcdDefaultMaxTxnOps = 128

func split(changes []Change, size int) [][]Change {
	if size <= 0 || len(changes) <= size {
		return [][]Change{changes}
	}
	var out [][]Change
	for len(changes) > size {
		out = append(out, changes[:size])
		changes = changes[size:]
	}
	return append(out, changes)
}

func (s *Syncer) commit(ctx context.Context, batches [][]Change, res *Result) error {
	for _, batch := range batches {
		conds, ops := txnOf(batch)
		var resp *clientv3.TxnResponse
		err := s.Retry.do(ctx, "write DNS records to etcd", s.Endpoints, func(ctx context.Context) (err error) {
			resp, err = s.Client.Txn(ctx).If(conds...).Then(ops...).Commit()
			return err
		})
		if err != nil {
			return err
		}
		if !resp.Succeeded {
			return fmt.Errorf("failed to write DNS records: %w", errMoved)
		}
		res.Txns++
		res.Revision = resp.Header.Revision
	}
	return nil
}

func txnOf(batch []Change) ([]clientv3.Cmp, []clientv3.Op) {
	conds := make([]clientv3.Cmp, 0, len(batch))
	ops := make([]clientv3.Op, 0, len(batch))
	for _, c := range batch {
		conds = append(conds, clientv3.Compare(clientv3.ModRevision(c.Key), "=", c.modRev))
		if c.Op == OpDelete {
			ops = append(ops, clientv3.OpDelete(c.Key))
		} else {
			ops = append(ops, clientv3.OpPut(c.Key, c.New))
		}
	}
	return conds, ops
}
