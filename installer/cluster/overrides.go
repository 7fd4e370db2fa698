package cluster

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RemoveOverrides takes the unsupported single-member overrides of plan out
// again once the install is complete (they block upgrades), leaving any
// other override in place. It returns one line per override removed; a
// resource or override that is not there is nothing to do.
func RemoveOverrides(ctx context.Context, c *Clients, plan ScalePlan, log Logger) ([]string, error) {
	log = orNop(log)
	var settings []Setting
	if plan.EtcdOverride {
		settings = append(settings, etcdOverride(false))
	}
	if plan.AuthOverride {
		settings = append(settings, authOverride(false))
	}
	o := &ScaleOptions{Clients: c, Log: log}
	var report []string
	for _, s := range settings {
		obj, err := c.Dynamic.Resource(s.GVR).Namespace(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return report, fmt.Errorf("failed to read %s: %w", s.object(), err)
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(obj.Object, s.Path...); !found {
			continue
		}
		if err := o.patch(ctx, s); err != nil {
			return report, err
		}
		if err := o.verify(ctx, s); err != nil {
			return report, err
		}
		line := fmt.Sprintf("removed the %s (%s) now that the install is complete: it blocks upgrades", s.What, s.Ref())
		log.Infof("%s", line)
		report = append(report, line)
	}
	return report, nil
}
