// kstatus: what Flux, kpt and `kubectl`-style waiters compute for an object,
// using the kstatus library itself (sigs.k8s.io/cli-utils/pkg/kstatus/status)
// rather than our reading of it. Reads one JSON object, or a List such as
// `kubectl get ... -o json` prints, on stdin; prints one line per object:
//
//	<name>\t<status>\t<message>
//
// Built by test/control-plane/build-binaries.sh for the e2e tier.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	// Numbers as int64 where they are whole, as the apiserver's own decoding
	// does: kstatus reads metadata.generation as an int64.
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	var doc map[string]interface{}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("stdin is not a JSON object: %w", err)
	}
	objects := []map[string]interface{}{doc}
	// A List (kind List or FooList) carries the objects in items.
	if items, ok := doc["items"].([]interface{}); ok && strings.HasSuffix(fmt.Sprint(doc["kind"]), "List") {
		objects = objects[:0]
		for i, item := range items {
			obj, ok := item.(map[string]interface{})
			if !ok {
				return fmt.Errorf("items[%d] is not an object", i)
			}
			objects = append(objects, obj)
		}
	}
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, obj := range objects {
		u := &unstructured.Unstructured{Object: obj}
		res, err := status.Compute(u)
		if err != nil {
			return fmt.Errorf("%s: %w", u.GetName(), err)
		}
		// One line per object: a newline or tab in a message must not split it.
		message := strings.NewReplacer("\n", " ", "\t", " ").Replace(res.Message)
		fmt.Fprintf(w, "%s\t%s\t%s\n", u.GetName(), res.Status, message)
	}
	return nil
}
