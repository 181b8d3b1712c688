/* yaml2json — read one YAML document on stdin (libyaml), print it as JSON (jansson) on
 * stdout, so that a test can check what vers kube prints with jq. Mappings become objects,
 * sequences arrays; a plain scalar that is a decimal integer becomes a number, every other
 * scalar a string. Exit 1 on a parse error (with libyaml's message and position). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static json_t *convert(yaml_document_t *d, yaml_node_t *n)
{
        switch (n->type) {
        case YAML_SCALAR_NODE: {
                const char *v = (const char *)n->data.scalar.value;
                if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && *v) {
                        char *end;
                        long long x = strtoll(v, &end, 10);
                        if (!*end)
                                return json_integer(x);
                }
                return json_stringn(v, n->data.scalar.length);
        }
        case YAML_SEQUENCE_NODE: {
                json_t *a = json_array();
                for (yaml_node_item_t *i = n->data.sequence.items.start;
                     i < n->data.sequence.items.top; i++)
                        json_array_append_new(a, convert(d, yaml_document_get_node(d, *i)));
                return a;
        }
        case YAML_MAPPING_NODE: {
                json_t *o = json_object();
                for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
                     p < n->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = yaml_document_get_node(d, p->key);
                        if (k->type != YAML_SCALAR_NODE)
                                continue;
                        json_object_set_new(o, (const char *)k->data.scalar.value,
                                            convert(d, yaml_document_get_node(d, p->value)));
                }
                return o;
        }
        default:
                return json_null();
        }
}

int main(void)
{
        yaml_parser_t p;
        yaml_document_t d;
        yaml_parser_initialize(&p);
        yaml_parser_set_input_file(&p, stdin);
        if (!yaml_parser_load(&p, &d)) {
                fprintf(stderr, "yaml2json: %s at line %zu, column %zu\n",
                        p.problem ? p.problem : "error", p.problem_mark.line + 1,
                        p.problem_mark.column + 1);
                return 1;
        }
        yaml_node_t *root = yaml_document_get_root_node(&d);
        if (!root) {
                fprintf(stderr, "yaml2json: no document\n");
                return 1;
        }
        json_t *j = convert(&d, root);
        json_dumpf(j, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(j);
        yaml_document_delete(&d);
        yaml_parser_delete(&p);
        return 0;
}
