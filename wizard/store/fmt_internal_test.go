package store

import "fmt"

func fmtAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s %x %d %q", v, v, v, v, v, v, v)
}
