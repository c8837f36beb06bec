"""The only place that knows DynamoDB: pynamodb models and the queries behind each access pattern."""
