package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/imagepipe/imagepipe/shared/steperr"
)

// PageKey is where a page of [Store.ListByUser] ends: the last item's
// imageId and lastModified. The user is not part of it: a listing always
// continues inside the partition of the user it is asked for, so a key can
// never reach another user's items.
type PageKey struct {
	ImageID      string
	LastModified string
}

// maxQueries bounds the Query requests behind one page. Each request but the
// last returns at least one item or ends a 1 MB read, so the bound is only
// reached by an index that keeps answering empty pages; the page then ends
// early, with a next key, rather than never.
const maxQueries = 16

// ListByUser returns up to limit of userID's items, newest lastModified
// first, from the [UserIndex] index, starting after after (nil: from the
// newest). next is nil on the last page, and otherwise names where the next
// page starts; it is set only when at least one more item follows (barring
// the pathological case of maxQueries), so that a caller never hands out a
// key to an empty page.
//
// DynamoDB may end a Query page with a LastEvaluatedKey although nothing
// follows (when the page ends on the last item, and minidyn does it with
// Limit); reading one item beyond limit tells the two cases apart. The index
// is eventually consistent: an item written a moment ago may not be listed
// yet, while [Store.Get] already reads it.
func (s *Store) ListByUser(ctx context.Context, userID string, limit int32,
	after *PageKey) (items []Item, next *PageKey, err error) {
	if limit < 1 {
		return nil, nil, fmt.Errorf("metadata: page size %d is below 1", limit)
	}
	if userID == "" {
		return nil, nil, errors.New("metadata: a user id is required")
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(UserIndex),
		KeyConditionExpression:   aws.String("#user = :user"),
		ExpressionAttributeNames: map[string]string{"#user": UserAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":user": str(userID),
		},
		ScanIndexForward: aws.Bool(false),
	}
	if after != nil {
		in.ExclusiveStartKey = after.attributes(userID)
	}

	var more map[string]types.AttributeValue // where an unfinished read stopped
	for range maxQueries {
		in.Limit = aws.Int32(limit + 1 - int32(len(items)))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, nil, steperr.FromAWS("dynamodb", "Query", err)
		}
		for _, raw := range out.Items {
			var it Item
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, nil, fmt.Errorf("metadata: listed item: %w", err)
			}
			items = append(items, it)
		}
		more = out.LastEvaluatedKey
		if len(items) > int(limit) || more == nil || sameKey(more, in.ExclusiveStartKey) {
			more = nil
			break
		}
		in.ExclusiveStartKey = more
	}

	switch {
	case len(items) > int(limit):
		items = items[:limit]
		last := items[limit-1]
		return items, &PageKey{ImageID: last.ImageID, LastModified: last.LastModified}, nil
	case more != nil:
		// maxQueries ran out before the page filled: end it where the
		// index stopped, so that nothing is skipped.
		return items, &PageKey{ImageID: stringAttr(more, KeyAttribute),
			LastModified: stringAttr(more, TimeAttribute)}, nil
	}
	return items, nil, nil
}

// stringAttr returns the string attribute name of key, or "".
func stringAttr(key map[string]types.AttributeValue, name string) string {
	if v, ok := key[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// attributes returns k as the ExclusiveStartKey of a Query on UserIndex: the
// table's key and the index's keys.
func (k PageKey) attributes(userID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		KeyAttribute:  str(k.ImageID),
		UserAttribute: str(userID),
		TimeAttribute: str(k.LastModified),
	}
}

// sameKey reports whether two index keys name the same position, so that a
// page that does not move the listing forward ends it.
func sameKey(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for name, av := range a {
		x, ok1 := av.(*types.AttributeValueMemberS)
		y, ok2 := b[name].(*types.AttributeValueMemberS)
		if !ok1 || !ok2 || x.Value != y.Value {
			return false
		}
	}
	return true
}
