package metadata

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imagepipe/imagepipe/shared/objectkey"
	"github.com/imagepipe/imagepipe/shared/s3event"
	"github.com/imagepipe/imagepipe/shared/stepio"
)

// FailedItem returns the FAILED item for the upload that a pipe batch
// announces, identified from the S3 event alone: the rejection branch and the
// failure recorder may run before, or without, any step that described the
// image.
//
// An upload under the key layout is recorded under its imageId and userId. A
// key outside the layout has no imageId: it is recorded under "key:" and a
// hash of bucket and key, stable for every delivery of that key. Records that
// name no object at all (S3's test event, a malformed message) are recorded
// under "message:" and the SQS message id, so that each still leaves one
// FAILED item.
func FailedItem(records json.RawMessage, reason string) Item {
	item := Item{Status: stepio.StatusFailed, Reason: reason}
	obj, err := s3event.Decode(records)
	if err != nil {
		item.ImageID = "message:" + messageID(records)
		return item
	}
	item.OriginalS3Key = obj.Key
	item.Sequencer = obj.Sequencer
	item.Bytes = obj.Size
	key, err := objectkey.ParseOriginal(obj.Key)
	if err != nil {
		sum := sha256.Sum256([]byte(obj.Bucket + "/" + obj.Key))
		item.ImageID = "key:" + hex.EncodeToString(sum[:12])
		return item
	}
	item.ImageID, item.UserID = key.ImageID, key.UserID
	return item
}

func messageID(records json.RawMessage) string {
	var batch []events.SQSMessage
	if json.Unmarshal(records, &batch) == nil && len(batch) > 0 && batch[0].MessageId != "" {
		return batch[0].MessageId
	}
	sum := sha256.Sum256(records)
	return hex.EncodeToString(sum[:12])
}
