package metadata

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of the metadata item and of its index.
const (
	// KeyAttribute is the table's partition key.
	KeyAttribute = "imageId"
	// UserIndex is the global secondary index listing one user's images by
	// lastModified.
	UserIndex = "userId-lastModified-index"
	// UserAttribute and TimeAttribute are UserIndex's hash and range keys.
	UserAttribute = "userId"
	TimeAttribute = "lastModified"
)

// CreateTableInput returns the table's definition: imageId as the key, the
// userId index with every attribute projected, billed on demand. The local
// stack creates the table from it; the Pulumi program declares the same.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(KeyAttribute), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(UserAttribute), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(TimeAttribute), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(KeyAttribute), KeyType: types.KeyTypeHash},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(UserIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(UserAttribute), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(TimeAttribute), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	}
}
