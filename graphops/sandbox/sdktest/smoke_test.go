package sdktest

import (
	"context"
	"testing"
)

func TestClientSmoke(t *testing.T) {
	s := start(t)
	c := userClient(t, s, "admin@contoso.com", "User.Read")
	_, err := c.Organization().Get(context.Background(), nil)
	t.Log(err)
}
