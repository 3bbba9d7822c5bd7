package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/imagepipe/imagepipe/shared/s3event"
	"github.com/imagepipe/imagepipe/shared/steperr"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// Item is an image's metadata as stored, keyed by ImageID.
type Item struct {
	ImageID        string           `dynamodbav:"imageId" json:"imageId"`
	UserID         string           `dynamodbav:"userId,omitempty" json:"userId,omitempty"`
	OriginalS3Key  string           `dynamodbav:"originalS3Key" json:"originalS3Key"`
	ProcessedS3Key string           `dynamodbav:"processedS3Key,omitempty" json:"processedS3Key"`
	Variants       []stepio.Variant `dynamodbav:"variants,omitempty" json:"variants,omitempty"`
	Status         string           `dynamodbav:"status" json:"status"`
	Reason         string           `dynamodbav:"reason,omitempty" json:"reason,omitempty"`
	Width          int              `dynamodbav:"width,omitempty" json:"width,omitempty"`
	Height         int              `dynamodbav:"height,omitempty" json:"height,omitempty"`
	Format         string           `dynamodbav:"format,omitempty" json:"format,omitempty"`
	Bytes          int64            `dynamodbav:"bytes,omitempty" json:"bytes,omitempty"`
	// Sequencer is the S3 event's sequencer, left-padded by
	// s3event.PadSequencer so that stored values compare as strings.
	Sequencer    string `dynamodbav:"sequencer" json:"sequencer"`
	ExecutionArn string `dynamodbav:"executionArn" json:"executionArn"`
	// Attempts counts the accepted writes: 1 for an image done at once, 2 for
	// one that failed and was then redriven to DONE; a Step Functions retry
	// that rewrites the same outcome counts as well.
	Attempts int `dynamodbav:"attempts" json:"attempts"`
	// AnnouncedBy is the execution that holds the announcement of this
	// outcome ([Store.ClaimAnnouncement]) and Notified says it was made
	// ([Store.MarkNotified]); every [Store.Write] that changes the outcome
	// clears both.
	AnnouncedBy string `dynamodbav:"announcedBy,omitempty" json:"announcedBy,omitempty"`
	Notified    bool   `dynamodbav:"notified" json:"notified"`
	// LastModified is the time of the last change, RFC 3339 in UTC.
	LastModified string `dynamodbav:"lastModified" json:"lastModified"`
}

// Record returns the step output of the item; changed says whether the write
// that stored it changed the outcome.
func (it Item) Record(changed bool) stepio.Record {
	return stepio.Record{
		ImageID:        it.ImageID,
		UserID:         it.UserID,
		Status:         it.Status,
		Reason:         it.Reason,
		OriginalS3Key:  it.OriginalS3Key,
		ProcessedS3Key: it.ProcessedS3Key,
		Variants:       it.Variants,
		Sequencer:      it.Sequencer,
		Changed:        changed,
	}
}

// Store reads and writes items in one table.
type Store struct {
	client *dynamodb.Client
	table  string
	now    func() time.Time
}

// NewStore returns a Store over table.
func NewStore(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table, now: time.Now}
}

// Get returns the item of imageID; found is false when there is none.
func (s *Store) Get(ctx context.Context, imageID string) (item Item, found bool, err error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]types.AttributeValue{KeyAttribute: str(imageID)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Item{}, false, steperr.FromAWS("dynamodb", "GetItem", err)
	}
	if out.Item == nil {
		return Item{}, false, nil
	}
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		return Item{}, false, fmt.Errorf("metadata: item %s: %w", imageID, err)
	}
	return item, true, nil
}

// Write stores item's outcome unless the table already holds a newer or the
// same outcome, and reports whether it changed anything. It is the one place
// that makes the pipeline idempotent under at-least-once delivery:
//
//   - an item with an older sequencer (an older upload to the key) is replaced;
//   - an item with a newer sequencer is never replaced;
//   - for the same sequencer, a FAILED outcome never replaces DONE, and an
//     outcome already stored by another execution (a duplicated S3 event, a
//     new execution replaying a failed one) is left as it is and changed is
//     false;
//   - the same execution writing again (a Step Functions retry after a lost
//     response) rewrites the item and reports changed.
//
// Whether an outcome is announced is not decided here but by
// [Store.ClaimAnnouncement], so that an outcome stored by an execution that
// then failed to announce it is announced by the one that replays it.
//
// Width, Height, Format, Bytes, ProcessedS3Key and Variants are removed when
// the new item leaves them empty, so a FAILED item never shows an older
// upload's renditions.
func (s *Store) Write(ctx context.Context, item Item) (changed bool, err error) {
	item.Sequencer = s3event.PadSequencer(item.Sequencer)
	item.LastModified = s.now().UTC().Format(time.RFC3339)

	created, err := s.create(ctx, item)
	if created || err != nil {
		return created, err
	}

	update, values, names, err := updateExpression(item)
	if err != nil {
		return false, err
	}
	condition := "attribute_not_exists(#imageId) OR #sequencer < :sequencer OR " +
		"(#sequencer = :sequencer AND (#status <> :done OR #executionArn = :executionArn))"
	if item.Status == stepio.StatusFailed {
		condition = "attribute_not_exists(#imageId) OR #sequencer < :sequencer OR " +
			"(#sequencer = :sequencer AND #status <> :done AND " +
			"(#status <> :failed OR #executionArn = :executionArn))"
		values[":failed"] = str(stepio.StatusFailed)
	}
	values[":done"] = str(stepio.StatusDone)
	names["#imageId"] = KeyAttribute

	return s.updateIf(ctx, item.ImageID, update, condition, names, values)
}

// updateIf updates the item of imageID when condition holds, and reports
// whether it did.
func (s *Store) updateIf(ctx context.Context, imageID, update, condition string,
	names map[string]string, values map[string]types.AttributeValue) (bool, error) {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{KeyAttribute: str(imageID)},
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(condition),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	var conditionFailed *types.ConditionalCheckFailedException
	if errors.As(err, &conditionFailed) {
		return false, nil
	}
	if err != nil {
		return false, steperr.FromAWS("dynamodb", "UpdateItem", err)
	}
	return true, nil
}

// create writes item when the table has none of its id, and reports whether
// it did. The first write of an image is a PutItem rather than the
// conditional UpdateItem of later writes: minidyn v0.8.2, the local DynamoDB,
// leaves items that an UpdateItem creates out of the userId index, and one
// PutItem costs no more than one UpdateItem in DynamoDB.
func (s *Store) create(ctx context.Context, item Item) (bool, error) {
	item.Attempts = 1
	attrs, err := attributevalue.MarshalMap(item)
	if err != nil {
		return false, fmt.Errorf("metadata: %w", err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     attrs,
		ConditionExpression:      aws.String("attribute_not_exists(#imageId)"),
		ExpressionAttributeNames: map[string]string{"#imageId": KeyAttribute},
	})
	var conditionFailed *types.ConditionalCheckFailedException
	if errors.As(err, &conditionFailed) {
		return false, nil
	}
	if err != nil {
		return false, steperr.FromAWS("dynamodb", "PutItem", err)
	}
	return true, nil
}

// updateExpression sets every attribute and counts the attempt. Optional
// attributes the new outcome lacks are set empty rather than removed, which
// clears an older upload's values just the same (minidyn, the local
// DynamoDB, ignores REMOVE with attribute-name placeholders). userId is the
// exception: as the index key it may not be empty, so it is only ever set.
func updateExpression(item Item) (string, map[string]types.AttributeValue,
	map[string]string, error) {
	attrs, err := attributevalue.MarshalMap(item)
	if err != nil {
		return "", nil, nil, fmt.Errorf("metadata: %w", err)
	}
	values := map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}
	names := map[string]string{"#attempts": "attempts"}
	set := ""
	for _, name := range attributeOrder {
		v, ok := attrs[name]
		if !ok {
			v, ok = emptyValues[name]
		}
		if !ok {
			continue
		}
		names["#"+name] = name
		values[":"+name] = v
		set = join(set, "#"+name+" = :"+name)
	}
	return "SET " + set + " ADD #attempts :one", values, names, nil
}

// emptyValues are what an optional attribute is set to when the outcome
// lacks it.
var emptyValues = map[string]types.AttributeValue{
	"processedS3Key": str(""),
	"announcedBy":    str(""),
	"variants":       &types.AttributeValueMemberNULL{Value: true},
	"reason":         str(""),
	"width":          &types.AttributeValueMemberN{Value: "0"},
	"height":         &types.AttributeValueMemberN{Value: "0"},
	"format":         str(""),
	"bytes":          &types.AttributeValueMemberN{Value: "0"},
}

// attributeOrder lists the written attributes in a fixed order, so that the
// same item always produces the same request.
var attributeOrder = []string{
	"userId", "originalS3Key", "processedS3Key", "variants", "status", "reason",
	"width", "height", "format", "bytes", "sequencer", "executionArn", "announcedBy",
	"notified", "lastModified",
}

func join(list, item string) string {
	if list == "" {
		return item
	}
	return list + ", " + item
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// ClaimAnnouncement reserves, for executionArn, the announcement of the
// outcome status of the upload sequencer that imageID holds, and reports
// whether it did. It does not when that outcome was announced already, when
// another execution holds its announcement, or when the item holds another
// outcome or a newer upload: then nothing is to be sent. An execution that
// claims again (a retry) gets its claim back. So duplicated executions send
// one message per outcome even when they run at the same time, and a replay
// of an execution that stored an outcome but failed to announce it (SNS down
// past Notify's retries) announces it.
func (s *Store) ClaimAnnouncement(ctx context.Context, imageID, status, sequencer,
	executionArn string) (bool, error) {
	return s.updateIf(ctx, imageID, "SET #announcedBy = :executionArn",
		"#status = :status AND #sequencer = :sequencer AND "+
			"(attribute_not_exists(#notified) OR #notified = :false) AND "+
			"(attribute_not_exists(#announcedBy) OR #announcedBy = :none OR "+
			"#announcedBy = :executionArn)",
		map[string]string{"#announcedBy": "announcedBy", "#status": "status",
			"#sequencer": "sequencer", "#notified": "notified"},
		map[string]types.AttributeValue{
			":executionArn": str(executionArn),
			":status":       str(status),
			":sequencer":    str(s3event.PadSequencer(sequencer)),
			":false":        &types.AttributeValueMemberBOOL{Value: false},
			":none":         str(""),
		})
}

// ReleaseAnnouncement gives up executionArn's claim on an announcement it
// has not made (its publish failed, or the execution ended without), so that
// another execution may make it. It does nothing when executionArn holds no
// such claim.
func (s *Store) ReleaseAnnouncement(ctx context.Context, imageID, executionArn string) error {
	_, err := s.updateIf(ctx, imageID, "SET #announcedBy = :none",
		"#announcedBy = :executionArn AND "+
			"(attribute_not_exists(#notified) OR #notified = :false)",
		map[string]string{"#announcedBy": "announcedBy", "#notified": "notified"},
		map[string]types.AttributeValue{
			":executionArn": str(executionArn),
			":false":        &types.AttributeValueMemberBOOL{Value: false},
			":none":         str(""),
		})
	return err
}

// MarkNotified records that executionArn has made the announcement it
// claimed. It does nothing when executionArn holds no claim (another outcome
// has been stored since).
func (s *Store) MarkNotified(ctx context.Context, imageID, executionArn string) error {
	_, err := s.updateIf(ctx, imageID, "SET #notified = :true",
		"#announcedBy = :executionArn",
		map[string]string{"#notified": "notified", "#announcedBy": "announcedBy"},
		map[string]types.AttributeValue{
			":true":         &types.AttributeValueMemberBOOL{Value: true},
			":executionArn": str(executionArn),
		})
	return err
}

// IDs returns the id of every item, by a full table scan: for the local
// stack's pages and for tests, never on a request path.
func (s *Store) IDs(ctx context.Context) ([]string, error) {
	var ids []string
	pages := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName:                aws.String(s.table),
		ProjectionExpression:     aws.String("#id"),
		ExpressionAttributeNames: map[string]string{"#id": KeyAttribute},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, steperr.FromAWS("dynamodb", "Scan", err)
		}
		for _, it := range page.Items {
			if v, ok := it[KeyAttribute].(*types.AttributeValueMemberS); ok {
				ids = append(ids, v.Value)
			}
		}
	}
	return ids, nil
}
