/* doc — the man pages and shell completions, generated from the command table and the option
 * tables (the same structs --help prints), so that none of them can drift from the parser:
 *
 *   vers __doc man DIR [FRAGMENTS]   vers.1 and vers-COMMAND.1 into DIR (FRAGMENTS/COMMAND.roff,
 *                                    when there is one, adds a hand-written part: more
 *                                    description, EXAMPLES; FRAGMENTS/vers.roff to vers.1)
 *   vers __doc bash | zsh            the completion script on stdout
 *   vers __complete KIND[,KIND] [PREFIX]   the live values a completion asks for (complete.h)
 *
 * The completion scripts hold the table as data (commands, subcommands, options, what each
 * option's argument and each operand is) and one driver, written once in the shell syntax
 * bash and zsh share; only the live values (envs, commits, tags, tests) come from running
 * 'vers __complete', which reads without side effects and says nothing when it cannot. */
#include "cli.h"
#include "engine/complete.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* ---- roff -------------------------------------------------------------------------------- */

/* text for a roff line: backslashes and dashes escaped, a leading control character guarded */
static void roff_text(struct strbuf *sb, const char *s, size_t n)
{
        if (n && (s[0] == '.' || s[0] == '\''))
                strbuf_addstr(sb, "\\&");
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\')
                        strbuf_addstr(sb, "\\e");
                else if (s[i] == '-')
                        strbuf_addstr(sb, "\\-");
                else if ((unsigned char)s[i] >= 0xc0 && i + 1 < n) {
                        /* UTF-8 as groff's \[uXXXX]: the pages stay plain ASCII */
                        unsigned char c = (unsigned char)s[i];
                        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
                        unsigned cp = c & (0x3f >> more);
                        for (int k = 0; k < more && i + 1 < n; k++)
                                cp = (cp << 6) | ((unsigned char)s[++i] & 0x3f);
                        strbuf_addf(sb, "\\[u%04X]", cp);
                } else
                        strbuf_addch(sb, s[i]);
        }
}

/* paragraphs of '\n'-separated lines (an empty line between paragraphs), as roff */
static void roff_paragraphs(FILE *f, const char *text)
{
        bool start = true;
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t n = nl ? (size_t)(nl - l) : strlen(l);
                if (n == 0) {
                        start = true;
                } else {
                        if (start)
                                fputs(".PP\n", f);
                        start = false;
                        struct strbuf sb = STRBUF_INIT;
                        /* an indented line is a line of its own (an example, a list) */
                        if (l[0] == ' ')
                                strbuf_addstr(&sb, ".br\n");
                        size_t skip = strspn(l, " ");
                        if (skip > n)
                                skip = n;
                        roff_text(&sb, l + skip, n - skip);
                        fprintf(f, "%s\n", sb.buf);
                        strbuf_release(&sb);
                }
                l += n + (nl ? 1 : 0);
        }
}

static char *roff(const char *s)
{
        struct strbuf sb = STRBUF_INIT;
        roff_text(&sb, s, strlen(s));
        return strbuf_detach(&sb);
}

/* one line of text: newlines become spaces */
static char *one_line(const char *s)
{
        char *t = xstrdup(s ? s : "");
        for (char *c = t; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        return t;
}

static void roff_option(FILE *f, const struct cli_opt *o)
{
        struct strbuf sb = STRBUF_INIT;
        for (const char *c = o->shorts; c && *c; c++)
                strbuf_addf(&sb, "%s\\fB\\-%c\\fR", c == o->shorts ? "" : ", ", *c);
        if (o->name) {
                _cleanup_free_ char *n = roff(o->name);
                strbuf_addf(&sb, "%s\\fB\\-\\-%s\\fR", o->shorts ? ", " : "", n);
        }
        if (o->arg) {
                _cleanup_free_ char *a = roff(o->arg);
                strbuf_addf(&sb, " \\fI%s\\fR", a);
        }
        fprintf(f, ".TP\n%s\n", sb.buf);
        strbuf_release(&sb);
        _cleanup_free_ char *h = one_line(o->help);
        _cleanup_free_ char *hr = roff(h);
        fprintf(f, "%s\n", hr);
}

static void roff_options(FILE *f, const struct cli_spec *spec)
{
        for (const struct cli_opt *o = spec->opts; o && o->id; o++)
                roff_option(f, o);
        static const struct cli_opt help = {'h', "h", "help", NULL, "show this help", 0, 0};
        roff_option(f, &help);
}

/* the usage lines of cmd, as cli_print_usage prints them, in no-fill mode */
static void roff_usage(FILE *f, const struct cli_cmd *cmd)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        cli_print_usage(cmd, m, "");
        fclose(m);
        fputs(".nf\n", f);
        for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
                const char *t = l + strspn(l, " ");
                _cleanup_free_ char *r = roff(t);
                /* a usage line's wrapped options are indented under it */
                fprintf(f, "%s%s\n", strncmp(t, "vers ", 5) ? "    " : "", r);
        }
        fputs(".fi\n", f);
        free(buf);
}

/* FRAGMENTS/NAME.roff as it is, if there is one */
static int copy_fragment(FILE *f, const char *dir, const char *name, vers_error_t *err)
{
        if (!dir)
                return 0;
        _cleanup_free_ char *path = xasprintf("%s/%s.roff", dir, name);
        if (!vers_path_exists(path))
                return 0;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (vers_read_file(path, &text, &len, err) < 0)
                return -1;
        fwrite(text, 1, len, f);
        if (len && text[len - 1] != '\n')
                fputc('\n', f);
        return 0;
}

static const char man_date[] = "2026";

int cli_doc_man_page(const struct cli_cmd *cmd, const char *fragments, FILE *f, vers_error_t *err)
{
        _cleanup_free_ char *upper = xasprintf("VERS-%s", cmd->name);
        for (char *c = upper; *c; c++)
                *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
        _cleanup_free_ char *summary = one_line(cmd->summary);
        _cleanup_free_ char *rsummary = roff(summary);
        fprintf(f,
                ".\\\" generated by 'vers __doc man' from the command table (src/cmd/table.c)\n"
                ".TH %s 1 %s \"vers 0.1.0\" \"vers manual\"\n.SH NAME\nvers\\-%s \\- %s\n"
                ".SH SYNOPSIS\n",
                upper, man_date, cmd->name, rsummary);
        roff_usage(f, cmd);
        fputs(".SH DESCRIPTION\n", f);
        roff_paragraphs(f, cmd->spec->about ? cmd->spec->about : summary);
        if (cmd->alias)
                fprintf(f, ".PP\n\\fBvers %s\\fR is the same command.\n", cmd->alias);
        fputs(".SH OPTIONS\n", f);
        roff_options(f, cmd->spec);
        if (cmd->subs) {
                fputs(".SH COMMANDS\n", f);
                for (const struct cli_cmd *s = cmd->subs; s->name; s++) {
                        _cleanup_free_ char *n = roff(s->spec->name);
                        fprintf(f, ".SS vers %s\n", n);
                        roff_usage(f, s);
                        roff_paragraphs(f, s->spec->about ? s->spec->about : s->summary);
                        fputs(".PP\nOptions:\n", f);
                        roff_options(f, s->spec);
                }
        }
        if (copy_fragment(f, fragments, cmd->name, err) < 0)
                return -1;
        fprintf(f, ".SH SEE ALSO\n\\fBvers\\fR(1), \\fBvers.toml\\fR(5), "
                   "\\fBvers\\-integration.yaml\\fR(5)\n");
        return 0;
}

int cli_doc_man_index(const char *fragments, FILE *f, vers_error_t *err)
{
        fprintf(f,
                ".\\\" generated by 'vers __doc man' from the command table (src/cmd/table.c)\n"
                ".TH VERS 1 %s \"vers 0.1.0\" \"vers manual\"\n.SH NAME\n"
                "vers \\- branch a running database environment copy\\-on\\-write\n"
                ".SH SYNOPSIS\n.nf\nvers \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n"
                "vers help \\fICOMMAND\\fR\n.fi\n.SH DESCRIPTION\n"
                "vers sets up an environment once (PostgreSQL with its schema and data loaded "
                "and running), commits it, and branches it copy\\-on\\-write into isolated "
                "environments (envs), each with its own processes, memory and port 5432.\n"
                ".PP\nEvery command takes \\fB\\-\\-help\\fR (\\fBvers help \\fICOMMAND\\fR says "
                "the same) and has a page of its own, \\fBvers\\-\\fICOMMAND\\fR(1). Commands "
                "that act on an env take \\fB\\-b\\fR/\\fB\\-\\-env\\fR \\fINAME\\fR and honour "
                "\\fBVERS_ENV\\fR; otherwise they act on HEAD (\\fI.vers/HEAD\\fR).\n"
                ".SH COMMANDS\n",
                man_date);
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                if (c->flags & CLI_HIDDEN)
                        continue;
                _cleanup_free_ char *s = one_line(c->summary);
                _cleanup_free_ char *rs = roff(s);
                _cleanup_free_ char *alias =
                    c->alias ? xasprintf(" (alias \\fB%s\\fR)", c->alias) : xstrdup("");
                fprintf(f, ".TP\n\\fBvers\\-%s\\fR(1)%s\n%s\n", c->name, alias, rs);
        }
        if (copy_fragment(f, fragments, "vers", err) < 0)
                return -1;
        fprintf(f, ".SH SEE ALSO\n\\fBvers.toml\\fR(5), \\fBvers\\-integration.yaml\\fR(5)\n");
        return 0;
}

static int write_page(const char *dir, const char *name, const struct cli_cmd *cmd,
                      const char *fragments, vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s.1", dir, name);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
        FILE *f = fopen(tmp, "we");
        if (!f)
                return vers_make_error(err, errno, "cannot write '%s'", tmp);
        int r =
            cmd ? cli_doc_man_page(cmd, fragments, f, err) : cli_doc_man_index(fragments, f, err);
        if (fclose(f) != 0 && r == 0)
                r = vers_make_error(err, errno, "cannot write '%s'", tmp);
        if (r == 0 && rename(tmp, path) < 0)
                r = vers_make_error(err, errno, "cannot rename '%s'", tmp);
        if (r < 0)
                unlink(tmp);
        return r;
}

static int write_man(const char *dir, const char *fragments, vers_error_t *err)
{
        if (vers_mkdir_p(dir, 0755, err) < 0)
                return -1;
        if (write_page(dir, "vers", NULL, fragments, err) < 0)
                return -1;
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                if (c->flags & CLI_HIDDEN)
                        continue;
                _cleanup_free_ char *name = xasprintf("vers-%s", c->name);
                if (write_page(dir, name, c, fragments, err) < 0)
                        return -1;
        }
        return 0;
}

/* ---- completion -------------------------------------------------------------------------- */

/* What a metavariable ("ENV", "[ENV|COMMIT|TAG]", "FILE", "T[/B]") names, as completion
 * kinds: env, commit (ids and tags), tag, test, file, dir; "-" when nothing completes it. */
static char *arg_kinds(const char *metavar)
{
        static const struct {
                const char *word, *kind;
        } kinds[] = {
            {"ENV", "env"},         {"FROM", "env"},  {"COMMIT", "commit"},
            {"TAG", "tag"},         {"FILE", "file"}, {"OUT", "file"},
            {"REPORT.xml", "file"}, {"DIR", "dir"},   {"T", "test"},
        };
        struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ char *m = xstrdup(metavar ? metavar : "");
        /* "[ENV|COMMIT|TAG]..." → ENV COMMIT TAG; "T[/B]" → T */
        for (char *save = NULL, *w = strtok_r(m, "[]|.", &save); w;
             w = strtok_r(NULL, "[]|.", &save)) {
                if (!strcmp(w, "xml"))
                        w = "FILE";
                for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
                        if (strcmp(w, kinds[i].word) != 0)
                                continue;
                        /* COMMIT completes tags too */
                        if (!strcmp(kinds[i].kind, "tag") && strstr(sb.buf ? sb.buf : "", "commit"))
                                break;
                        strbuf_addf(&sb, "%s%s", sb.len ? "," : "", kinds[i].kind);
                        break;
                }
                if (strchr(w, '/'))
                        break;
        }
        if (!sb.len)
                strbuf_addch(&sb, '-');
        return strbuf_detach(&sb);
}

/* the operands of a usage line, each a word (brackets may hold spaces: "[[LOCAL:]REMOTE |
 * LOCAL:]"), as kinds; the last one ends in '+' when it repeats ("ENV...") */
static char *operand_kinds(const char *operands)
{
        struct strbuf sb = STRBUF_INIT;
        const char *s = operands ? operands : "";
        while (*s) {
                s += strspn(s, " ");
                if (!*s)
                        break;
                int depth = 0;
                const char *e = s;
                while (*e && (depth > 0 || *e != ' ')) {
                        depth += *e == '[' ? 1 : *e == ']' ? -1 : 0;
                        e++;
                }
                _cleanup_free_ char *w = xstrndup(s, (size_t)(e - s));
                _cleanup_free_ char *k = w[0] == '"' ? xstrdup("-") : arg_kinds(w);
                size_t n = strlen(w);
                bool repeats = n > 3 && !strcmp(w + n - 3, "...");
                strbuf_addf(&sb, "%s%s%s", sb.len ? " " : "", k, repeats ? "+" : "");
                s = e;
        }
        return strbuf_detach(&sb);
}

/* "branch delete" → "branch_delete" */
static char *key_of(const struct cli_spec *spec)
{
        char *k = xstrdup(spec->name);
        for (char *c = k; *c; c++)
                if (*c == ' ')
                        *c = '_';
        return k;
}

static void each_spec(void (*fn)(FILE *, const struct cli_cmd *), FILE *f)
{
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                if (c->flags & CLI_HIDDEN)
                        continue;
                fn(f, c);
                for (const struct cli_cmd *s = c->subs; s && s->name; s++)
                        fn(f, s);
        }
}

static void case_opts(FILE *f, const struct cli_cmd *c)
{
        _cleanup_free_ char *key = key_of(c->spec);
        fprintf(f, "        %s) printf '%%s\\n' '", key);
        for (const struct cli_opt *o = c->spec->opts; o && o->id; o++) {
                for (const char *s = o->shorts; s && *s; s++)
                        fprintf(f, "-%c ", *s);
                if (o->name)
                        fprintf(f, "--%s ", o->name);
        }
        fprintf(f, "-h --help' ;;\n");
}

static void case_optargs(FILE *f, const struct cli_cmd *c)
{
        _cleanup_free_ char *key = key_of(c->spec);
        for (const struct cli_opt *o = c->spec->opts; o && o->id; o++) {
                if (!o->arg)
                        continue;
                _cleanup_free_ char *k = arg_kinds(o->arg);
                const char *sep = "        ";
                for (const char *s = o->shorts; s && *s; s++) {
                        fprintf(f, "%s'%s -%c'", sep, key, *s);
                        sep = "|";
                }
                if (o->name)
                        fprintf(f, "%s'%s --%s'", sep, key, o->name);
                fprintf(f, ") printf '%%s\\n' %s ;;\n", k);
        }
}

static void case_operands(FILE *f, const struct cli_cmd *c)
{
        _cleanup_free_ char *key = key_of(c->spec);
        _cleanup_free_ char *k = operand_kinds(c->spec->operands);
        if (*k)
                fprintf(f, "        %s) printf '%%s\\n' '%s' ;;\n", key, k);
}

/* the data and the driver, in the syntax bash and zsh share */
static void completion_core(FILE *f)
{
        fputs("# generated by 'vers __doc' from vers's command table (src/cmd/table.c): do not "
              "edit\n\n",
              f);
        fputs("# the command a word names (its alias resolved)\n_vers_cmd() {\n"
              "        case $1 in\n        help) printf '%s\\n' help ;;\n",
              f);
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                if (c->flags & CLI_HIDDEN)
                        continue;
                fprintf(f, "        %s%s%s) printf '%%s\\n' %s ;;\n", c->name, c->alias ? "|" : "",
                        c->alias ? c->alias : "", c->name);
        }
        fputs("        esac\n}\n\n# every command (and alias)\n_vers_cmds() {\n"
              "        printf '%s\\n' '",
              f);
        for (const struct cli_cmd *c = cli_commands; c->name; c++)
                if (!(c->flags & CLI_HIDDEN))
                        fprintf(f, "%s %s%s", c->name, c->alias ? c->alias : "",
                                c->alias ? " " : "");
        fputs("help'\n}\n\n# a command's subcommands\n_vers_subs() {\n        case $1 in\n", f);
        for (const struct cli_cmd *c = cli_commands; c->name; c++) {
                if ((c->flags & CLI_HIDDEN) || !c->subs)
                        continue;
                fprintf(f, "        %s) printf '%%s\\n' '", c->name);
                for (const struct cli_cmd *s = c->subs; s->name; s++)
                        fprintf(f, "%s%s", s == c->subs ? "" : " ", s->name);
                fputs("' ;;\n", f);
        }
        fputs("        esac\n}\n\n# a command's options (KEY: 'branch', 'branch_delete')\n"
              "_vers_opts() {\n        case $1 in\n",
              f);
        each_spec(case_opts, f);
        fputs("        esac\n}\n\n# what an option's argument is: env, commit, tag, test, file, "
              "dir, or - (a value\n# nothing completes); nothing: the option takes none\n"
              "_vers_optarg() {\n        case \"$1 $2\" in\n",
              f);
        each_spec(case_optargs, f);
        fputs("        esac\n}\n\n# what each operand is, in order; the last one ends in + when "
              "it repeats\n_vers_operands() {\n        case $1 in\n",
              f);
        each_spec(case_operands, f);
        fputs(
            "        esac\n}\n\n"
            "# _vers_candidates VERS CWORD WORD...: the candidates for word CWORD (1: the first\n"
            "# after vers) of the words after vers, one a line; @file and @dir ask the shell for\n"
            "# file names. Live values come from 'VERS __complete', which is read-only and quiet.\n"
            "_vers_candidates() {\n"
            "        local bin=$1 cword=$2 cur= key= argk= dd= n=0 i=0 w k kind= last=\n"
            "        shift 2\n"
            "        for w in \"$@\"; do\n"
            "                i=$((i + 1))\n"
            "                if [ \"$i\" -eq \"$cword\" ]; then\n"
            "                        cur=$w\n"
            "                        break\n"
            "                fi\n"
            "                if [ -n \"$argk\" ]; then\n"
            "                        argk=\n"
            "                        continue\n"
            "                fi\n"
            "                if [ -z \"$dd\" ] && [ \"$w\" = -- ] && [ -n \"$key\" ]; then\n"
            "                        dd=1\n"
            "                        continue\n"
            "                fi\n"
            "                case $w in\n"
            "                -?*)\n"
            "                        if [ -z \"$dd\" ]; then\n"
            "                                case $w in\n"
            "                                *=*) ;;\n"
            "                                *) [ -n \"$key\" ] && argk=$(_vers_optarg \"$key\" "
            "\"$w\") ;;\n"
            "                                esac\n"
            "                                continue\n"
            "                        fi\n"
            "                        ;;\n"
            "                esac\n"
            "                if [ -z \"$key\" ]; then\n"
            "                        key=$(_vers_cmd \"$w\")\n"
            "                        [ -n \"$key\" ] || return 0\n"
            "                        continue\n"
            "                fi\n"
            "                if [ \"$n\" -eq 0 ] && [ \"$key\" = \"${key%_*}\" ]; then\n"
            "                        for k in $(_vers_subs \"$key\"); do\n"
            "                                if [ \"$k\" = \"$w\" ]; then\n"
            "                                        key=${key}_$k\n"
            "                                        continue 2\n"
            "                                fi\n"
            "                        done\n"
            "                fi\n"
            "                n=$((n + 1))\n"
            "        done\n"
            "        if [ -n \"$argk\" ]; then\n"
            "                kind=$argk\n"
            "        elif [ -z \"$dd\" ] && [ \"${cur#-}\" != \"$cur\" ]; then\n"
            "                [ -n \"$key\" ] || { printf '%s\\n' --help --version; return 0; }\n"
            "                for k in $(_vers_opts \"$key\"); do printf '%s\\n' \"$k\"; done\n"
            "                return 0\n"
            "        elif [ -z \"$key\" ]; then\n"
            "                for k in $(_vers_cmds); do printf '%s\\n' \"$k\"; done\n"
            "                return 0\n"
            "        elif [ \"$key\" = help ]; then\n"
            "                [ \"$n\" -eq 0 ] && for k in $(_vers_cmds); do printf '%s\\n' \"$k\"; "
            "done\n"
            "                return 0\n"
            "        else\n"
            "                if [ \"$n\" -eq 0 ] && [ \"$key\" = \"${key%_*}\" ]; then\n"
            "                        for k in $(_vers_subs \"$key\"); do printf '%s\\n' \"$k\"; "
            "done\n"
            "                fi\n"
            "                i=0\n"
            "                for k in $(_vers_operands \"$key\"); do\n"
            "                        if [ \"$i\" -eq \"$n\" ]; then\n"
            "                                kind=$k\n"
            "                                break\n"
            "                        fi\n"
            "                        last=$k\n"
            "                        i=$((i + 1))\n"
            "                done\n"
            "                if [ -z \"$kind\" ] && [ \"${last%+}\" != \"$last\" ]; then\n"
            "                        kind=$last\n"
            "                fi\n"
            "                kind=${kind%+}\n"
            "        fi\n"
            "        case $kind in\n"
            "        '' | -) ;;\n"
            "        file) printf '%s\\n' @file ;;\n"
            "        dir) printf '%s\\n' @dir ;;\n"
            "        *) \"$bin\" __complete \"$kind\" \"$cur\" 2>/dev/null ;;\n"
            "        esac\n"
            "        return 0\n"
            "}\n",
            f);
}

void cli_doc_bash(FILE *f)
{
        fputs("# bash completion for vers\n", f);
        completion_core(f);
        fputs("\n_vers() {\n"
              "        local cur=${COMP_WORDS[COMP_CWORD]} line\n"
              "        local -a words=()\n"
              "        COMPREPLY=()\n"
              "        while IFS= read -r line; do\n"
              "                case $line in\n"
              "                @file) COMPREPLY+=($(compgen -f -- \"$cur\")) ;;\n"
              "                @dir) COMPREPLY+=($(compgen -d -- \"$cur\")) ;;\n"
              "                *) words+=(\"$line\") ;;\n"
              "                esac\n"
              "        done < <(_vers_candidates \"${COMP_WORDS[0]}\" \"$COMP_CWORD\" "
              "\"${COMP_WORDS[@]:1}\")\n"
              "        # not compgen -W, which expands each word (a command substitution in\n"
              "        # one would run)\n"
              "        local w\n"
              "        for w in \"${words[@]}\"; do\n"
              "                [[ $w == \"$cur\"* ]] && COMPREPLY+=(\"$w\")\n"
              "        done\n"
              "}\ncomplete -o default -F _vers vers\n",
              f);
}

void cli_doc_zsh(FILE *f)
{
        fputs("#compdef vers\n# zsh completion for vers\n", f);
        completion_core(f);
        fputs("\n_vers() {\n"
              "        local line\n"
              "        local -a cands\n"
              "        for line in ${(f)\"$(_vers_candidates ${words[1]} $((CURRENT - 1)) "
              "\"${(@)words[2,-1]}\")\"}; do\n"
              "                case $line in\n"
              "                @file) _files ;;\n"
              "                @dir) _files -/ ;;\n"
              "                *) cands+=(\"$line\") ;;\n"
              "                esac\n"
              "        done\n"
              "        (( ${#cands} )) && compadd -a cands\n"
              "        return 0\n"
              "}\n\n"
              "# autoloaded from fpath, this file's body runs on the first completion\n"
              "if [[ ${+compstate} = 1 ]]; then\n"
              "        _vers \"$@\"\nfi\n",
              f);
}

/* ---- the hidden commands ----------------------------------------------------------------- */

const struct cli_spec cli_spec_doc = {
    .name = "__doc",
    .operands = "man DIR [FRAGMENTS]",
    .more = "bash\nzsh",
    .about = "Write the man pages (vers.1, vers-COMMAND.1) into DIR, or print the bash or zsh\n"
             "completion script, from the command table (what 'make' installs).\n",
    .min_operands = 1,
    .max_operands = 3,
    .missing = "'vers __doc' takes 'man DIR', 'bash' or 'zsh'",
};

int cmd_doc(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_doc, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                ;
        if (c < 0)
                return cli_parse_exit(c);
        const char *what = p.operands[0];
        if (!strcmp(what, "man") && p.n_operands >= 2)
                return write_man(p.operands[1], p.n_operands > 2 ? p.operands[2] : NULL, err);
        if (p.n_operands == 1 && !strcmp(what, "bash")) {
                cli_doc_bash(stdout);
                return 0;
        }
        if (p.n_operands == 1 && !strcmp(what, "zsh")) {
                cli_doc_zsh(stdout);
                return 0;
        }
        return cli_usage_error(&cli_spec_doc, "'vers __doc' takes 'man DIR', 'bash' or 'zsh'");
}

const struct cli_spec cli_spec_complete = {
    .name = "__complete",
    .operands = "KIND[,KIND...] [PREFIX]",
    .about = "Print the values that start with PREFIX, one a line, for shell completion: env\n"
             "aliases and ids (env), commit tags and ids (commit), tags (tag), the suite's TEST\n"
             "and TEST/BRANCH names (test). Read-only; prints nothing when it cannot read.\n",
    .min_operands = 1,
    .max_operands = 2,
    .missing = "'vers __complete' takes a KIND: env, commit, tag or test",
};

/* a completion that takes longer than this is abandoned (the shell then offers nothing) */
#define COMPLETE_TIMEOUT_S 2

int cmd_complete(struct vers_ctx *ctx, int argc, char **argv, vers_error_t *err)
{
        _cleanup_parse_ struct cli_parse p = cli_parse_start(&cli_spec_complete, argc, argv);
        int c;
        while ((c = cli_next(&p)) > 0)
                ;
        if (c < 0)
                return cli_parse_exit(c);
        /* SIGALRM's default action ends the process without a word */
        signal(SIGALRM, SIG_DFL);
        alarm(COMPLETE_TIMEOUT_S);
        const char *prefix = p.n_operands > 1 ? p.operands[1] : "";
        _cleanup_free_ char *kinds = xstrdup(p.operands[0]);
        for (char *save = NULL, *k = strtok_r(kinds, ",", &save); k;
             k = strtok_r(NULL, ",", &save)) {
                char **values = NULL;
                vers_error_t e = NULL;
                /* silent: a root or suite it cannot read completes nothing */
                if (vers_complete_values(k, prefix, &values, &e) < 0)
                        vers_error_free(&e);
                for (char **v = values; v && *v; v++)
                        printf("%s\n", *v);
                strv_free(values);
        }
        return 0;
}
