package dnsrecords

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Op is what a sync does to one key.
type Op string

// The operations of a plan.
const (
	OpAdd    Op = "add"
	OpChange Op = "change"
	OpDelete Op = "delete"
)

// Change is one key a sync writes or deletes.
type Change struct {
	Op  Op
	Key string
	// Old and New are the stored values ("" when absent).
	Old, New string
	// Record is the record added or changed, or the one deleted.
	Record Record
	// Was is the record replaced by a change.
	Was Record
	// modRev guards the key: the transaction fails if it moved since the read.
	modRev int64
}

// Conflict is a key okdctl needs that holds another writer's different record.
type Conflict struct {
	Key   string
	Value string
	Want  Record
}

// Plan is the difference between the desired records and what etcd holds
// under okdctl's names, as read at Revision.
type Plan struct {
	Changes   []Change
	Conflicts []Conflict
	// Kept counts desired records already stored as they should be.
	Kept int
	// Foreign lists desired keys already served, with the same answer, by a
	// key okdctl did not write; they are left alone (and never deleted).
	Foreign  []string
	Revision int64
}

// Empty reports whether the plan writes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Count returns how many keys the plan adds, changes and deletes.
func (p *Plan) Count() (add, change, del int) {
	for _, c := range p.Changes {
		switch c.Op {
		case OpAdd:
			add++
		case OpChange:
			change++
		case OpDelete:
			del++
		}
	}
	return add, change, del
}

// Summary is the plan in one line.
func (p *Plan) Summary() string {
	add, change, del := p.Count()
	s := fmt.Sprintf("%d to add, %d to change, %d to delete, %d unchanged", add, change, del, p.Kept)
	if len(p.Foreign) > 0 {
		s += fmt.Sprintf(", %d served by keys okdctl did not write", len(p.Foreign))
	}
	return s
}

// Lines shows each change as "+ record", "~ old -> new" or "- record",
// at most limit lines (0: all) followed by how many were left out.
func (p *Plan) Lines(limit int) []string {
	var out []string
	for i, c := range p.Changes {
		if limit > 0 && i == limit {
			out = append(out, fmt.Sprintf("... and %d more", len(p.Changes)-limit))
			break
		}
		switch c.Op {
		case OpAdd:
			out = append(out, "+ "+c.Record.String())
		case OpChange:
			out = append(out, "~ "+c.Record.String()+"  (was "+c.Was.Value+")")
		case OpDelete:
			out = append(out, "- "+c.Record.String())
		}
	}
	return out
}

func (p *Plan) sort() {
	order := map[Op]int{OpAdd: 0, OpChange: 1, OpDelete: 2}
	slices.SortFunc(p.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(order[a.Op], order[b.Op]), cmp.Compare(a.Record.Type.order(), b.Record.Type.order()),
			cmp.Compare(a.Record.Name, b.Record.Name), cmp.Compare(a.Key, b.Key))
	})
}

// ConflictError is returned when keys okdctl needs hold other writers' records.
type ConflictError struct {
	Conflicts []Conflict
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d key(s) okdctl needs hold records okdctl did not write; okdctl never overwrites them:", len(e.Conflicts))
	for _, c := range e.Conflicts {
		fmt.Fprintf(&b, "\n  %s = %s (okdctl wants %s %s)", c.Key, c.Value, c.Want.Type, c.Want.Value)
	}
	b.WriteString("\nremove them (etcdctl del KEY) or change the spec, then run again")
	return b.String()
}
