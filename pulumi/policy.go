package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// grants maps each IAM action to the resources a role may use it on. It is
// both what a role's policy is built from and what the tests compare the
// deployed policy against.
type grants map[string][]pulumi.StringInput

// conditions maps an action to the IAM condition block of its statement; only
// actions that AWS allows on no narrower resource than "*" carry one.
type conditions map[string]map[string]map[string]string

// policyDocument is an IAM policy in AWS's JSON shape.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

// policyStatement is one statement of a [policyDocument].
type policyStatement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// marshal renders the document; it cannot fail for these plain types.
func (d policyDocument) marshal() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("policy: %v", err))
	}
	return string(b)
}

// grantPolicy builds the identity policy of g: one Allow statement per set of
// actions that share the same resources and condition, in a stable order so
// that a preview shows no diff when nothing changed.
func grantPolicy(g grants, cond conditions) pulumi.StringOutput {
	actions := make([]string, 0, len(g))
	for a := range g {
		actions = append(actions, a)
	}
	slices.Sort(actions)

	var inputs []any
	for _, a := range actions {
		for _, r := range g[a] {
			inputs = append(inputs, r)
		}
	}
	return pulumi.All(inputs...).ApplyT(func(vals []any) (string, error) {
		resolved := map[string][]string{}
		i := 0
		for _, a := range actions {
			for range g[a] {
				s, _ := vals[i].(string)
				if s == "" {
					return "", fmt.Errorf("policy: %s has an empty resource", a)
				}
				resolved[a] = append(resolved[a], s)
				i++
			}
		}
		return buildPolicy(resolved, cond).marshal(), nil
	}).(pulumi.StringOutput)
}

// buildPolicy groups resolved grants into statements.
func buildPolicy(resolved map[string][]string, cond conditions) policyDocument {
	type group struct {
		resources []string
		condition map[string]map[string]string
		actions   []string
	}
	var groups []*group
	byKey := map[string]*group{}
	actions := make([]string, 0, len(resolved))
	for a := range resolved {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	for _, a := range actions {
		res := slices.Clone(resolved[a])
		slices.Sort(res)
		res = slices.Compact(res)
		c := cond[a]
		cj, _ := json.Marshal(c)
		key := strings.Join(res, "\n") + "\x00" + string(cj)
		g := byKey[key]
		if g == nil {
			g = &group{resources: res, condition: c}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.actions = append(g.actions, a)
	}

	doc := policyDocument{Version: "2012-10-17"}
	for _, g := range groups {
		doc.Statement = append(doc.Statement, policyStatement{
			Effect:    "Allow",
			Action:    g.actions,
			Resource:  g.resources,
			Condition: g.condition,
		})
	}
	return doc
}

// assumeRolePolicy lets one AWS service assume a role.
func assumeRolePolicy(service string) string {
	return policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Service": service},
			Action:    []string{"sts:AssumeRole"},
		}},
	}.marshal()
}

// serviceRole is a role that one AWS service assumes, with its one inline
// policy.
type serviceRole struct {
	role   *iam.Role
	policy *iam.RolePolicy
}

// newServiceRole creates a role for service with exactly the grants g.
func newServiceRole(ctx *pulumi.Context, name, service string, g grants,
	cond conditions) (serviceRole, error) {
	// The role of one component only: nothing else shares its permissions.
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy(service)),
	})
	if err != nil {
		return serviceRole{}, err
	}

	// An inline policy, so the grants live and die with the role.
	policy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: grantPolicy(g, cond),
	})
	if err != nil {
		return serviceRole{}, err
	}
	return serviceRole{role: role, policy: policy}, nil
}

// resources lists ARNs as policy resources.
func resources(arns ...pulumi.StringInput) []pulumi.StringInput { return arns }

// under returns the ARN of every object below prefix in a bucket.
func under(bucketArn pulumi.StringOutput, prefix string) pulumi.StringInput {
	return pulumi.Sprintf("%s/%s*", bucketArn, prefix)
}

// everything is the "*" resource, used only where AWS allows nothing narrower.
var everything = pulumi.String("*")
