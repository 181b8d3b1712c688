#include "test/runner.h"
#include "base/json.h"
#include "diff/diff.h"
#include "engine/pool.h"
#include "base/names.h"
#include "base/strbuf.h"
#include "services/services.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void say(const struct vers_test_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct vers_test_opts *o, const char *fmt, ...)
{
        if (!o->line)
                return;
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        if (vasprintf(&m, fmt, ap) >= 0) {
                o->line(m);
                free(m);
        }
        va_end(ap);
}

/* Write a line of a branch's output (the "$ command" lines, vers's own errors) to fd. */
static void put(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(int fd, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *m = xvasprintf(fmt, ap);
        va_end(ap);
        if (fd >= 0)
                vers_write_all(fd, m, strlen(m));
}

/* Run cmd (sh -c) in env e with its stdout and stderr on fd (< 0: /dev/null). vers_env_exec
 * relays a command's output to fds 1 and 2 of the process calling it, so it is called from a
 * child of ours whose 1 and 2 are fd: the caller's own descriptors are never touched. The
 * child only execs (no metadata), and tells an error through a pipe. */
static int exec_to_fd(struct vers_ctx *ctx, const struct vers_env *e, const char *cmd,
                      const struct vers_exec_opts *xo, int fd, int *status, vers_error_t *err)
{
        int ep[2];
        if (pipe2(ep, O_CLOEXEC) < 0)
                return vers_make_error(err, errno, "pipe");
        pid_t pid = fork();
        if (pid < 0) {
                int e_ = errno;
                close(ep[0]);
                close(ep[1]);
                return vers_make_error(err, e_, "fork");
        }
        if (pid == 0) {
                close(ep[0]);
                int out = fd >= 0 ? fd : open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (out < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(125);
                char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
                vers_error_t cerr = NULL;
                int st = 0;
                if (vers_env_exec(ctx, e, argv, xo, &st, &cerr) < 0) {
                        const char *m = cerr && cerr->msg ? cerr->msg : "cannot run the command";
                        vers_write_all(ep[1], m, strlen(m));
                        _exit(125);
                }
                _exit(st & 0xff);
        }
        close(ep[1]);
        int code = vers_wait_exit(pid, err);
        /* the child wrote its error before it exited; what its helpers may still hold open
         * is not waited for */
        char msg[1024];
        fcntl(ep[0], F_SETFL, O_NONBLOCK);
        ssize_t n = read(ep[0], msg, sizeof msg - 1);
        close(ep[0]);
        if (code < 0)
                return -1;
        if (n > 0) {
                msg[n] = '\0';
                return vers_make_error(err, 0, "%s", msg);
        }
        *status = code;
        return 0;
}

/* ---- checkpoints ----------------------------------------------------------------------- */

/* Is commit c this project's (outside any project: one of no project)? Checkpoints, their
 * reuse and their tags never reach into another project sharing VERS_ROOT. */
static bool ours(const struct vers_ctx *ctx, const struct vers_commit *c)
{
        if (!c->project || !ctx->project_dir)
                return !c->project && !ctx->project_dir;
        return !strcmp(c->project, ctx->project_dir);
}

/* Take tag off every commit of the project but keep (which may be NULL). */
static int untag(struct vers_ctx *ctx, const char *tag, const char *keep, vers_error_t *err)
{
        struct vers_commit *cs = NULL;
        size_t n = 0;
        if (vers_meta_list_commits(&ctx->meta, &(struct vers_meta_query){.name = tag}, &cs, &n,
                                   err) < 0)
                return -1;
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                if ((keep && !strcmp(cs[i].id, keep)) || !ours(ctx, &cs[i]))
                        continue;
                free(cs[i].tag);
                cs[i].tag = NULL;
                ret = vers_meta_put_commit(&ctx->meta, &cs[i], err);
        }
        vers_commits_free(cs, n);
        return ret;
}

/* Put tag on commit id, taking it from whichever commit had it. */
static int retag(struct vers_ctx *ctx, const char *id, const char *tag, vers_error_t *err)
{
        if (untag(ctx, tag, id, err) < 0)
                return -1;
        struct vers_commit c = {0};
        if (vers_meta_get_commit(&ctx->meta, id, &c, err) != 1)
                return -1;
        int ret = 0;
        if (!c.tag || strcmp(c.tag, tag)) {
                free(c.tag);
                c.tag = xstrdup(tag);
                ret = vers_meta_put_commit(&ctx->meta, &c, err);
        }
        vers_commit_clear(&c);
        return ret;
}

/* Make (or reuse) every checkpoint; *base receives the commit tests branch from. */
static int run_checkpoints(struct vers_ctx *ctx, const struct vers_suite *s, const char *image,
                           const struct vers_test_opts *o, struct vers_test_report *rep,
                           char **base, vers_error_t *err)
{
        struct vers_image img = {0};
        int got = vers_meta_get_image(&ctx->meta, image, &img, err);
        if (got <= 0 || !img.key) {
                vers_image_clear(&img);
                return got < 0 ? -1 : vers_make_error(err, 0, "image %s has no build key", image);
        }
        _cleanup_strv_ char **keys = vers_test_checkpoint_keys(s, img.key, ctx->project_dir);
        vers_image_clear(&img);
        struct vers_env seeder = {0};
        bool have_seeder = false;
        _cleanup_free_ char *prev = NULL; /* commit of the previous checkpoint */
        int ret = 0;
        size_t n = vers_test_n_checkpoints(s);
        rep->checkpoints = xcalloc(n, sizeof *rep->checkpoints);
        for (size_t i = 0; i < n && ret == 0; i++) {
                /* a suite without checkpoints still needs one commit: the fresh env */
                const char *name = vers_test_checkpoint_name(s, i);
                const char *after = vers_test_checkpoint_after(s, i);
                struct vers_checkpoint_result *cr = &rep->checkpoints[rep->n_checkpoints++];
                cr->name = xstrdup(name);
                double t0 = vers_monotonic();
                char *found = NULL;
                ret = vers_meta_find_checkpoint(&ctx->meta, keys[i], ctx->project_dir, &found, err);
                if (ret < 0)
                        break;
                if (found) {
                        ret = 0;
                        cr->commit = found;
                        cr->reused = true;
                        say(o, "checkpoint %s: reused %s (unchanged)", name, found);
                        if (have_seeder) {
                                vers_env_delete(ctx, seeder.id, NULL);
                                vers_env_clear(&seeder);
                                have_seeder = false;
                        }
                        ret = retag(ctx, found, name, err);
                } else {
                        if (!have_seeder) {
                                ret = prev ? vers_env_branch(ctx, prev, NULL, VERS_MODE_AUTO,
                                                             &seeder, err)
                                           : vers_env_run(ctx, NULL, &seeder, err);
                                have_seeder = ret == 0;
                                if (ret < 0) {
                                        vers_env_clear(&seeder);
                                        break;
                                }
                        }
                        if (after) {
                                say(o, "checkpoint %s: %s", name, after);
                                int status = 0;
                                ret =
                                    exec_to_fd(ctx, &seeder, after, NULL, o->out_fd, &status, err);
                                if (ret == 0 && status != 0)
                                        ret = vers_make_error(err, 0,
                                                              "checkpoint '%s' failed: '%s' "
                                                              "exited with %d",
                                                              name, after, status);
                                if (ret < 0)
                                        break;
                        }
                        /* the tag moves to the new commit */
                        ret = untag(ctx, name, NULL, err);
                        if (ret < 0)
                                break;
                        _cleanup_free_ char *msg = xasprintf("vers test: checkpoint %s", name);
                        struct vers_commit_opts co = {name, msg, VERS_MODE_AUTO, false, NULL};
                        struct vers_commit c = {0};
                        double pause = 0;
                        ret = vers_env_commit(ctx, seeder.id, &co, &c, &pause, err);
                        /* a commit whose key did not get written is only never reused */
                        if (ret == 0)
                                ret = vers_meta_set_checkpoint_key(&ctx->meta, c.id, keys[i], err);
                        if (ret < 0) {
                                vers_commit_clear(&c);
                                break;
                        }
                        cr->commit = xstrdup(c.id);
                        say(o, "checkpoint %s: committed %s (%s)", name, c.id, c.mode);
                        vers_commit_clear(&c);
                }
                cr->seconds = vers_monotonic() - t0;
                free(prev);
                prev = xstrdup(cr->commit);
        }
        if (have_seeder) {
                vers_env_delete(ctx, seeder.id, NULL);
                vers_env_clear(&seeder);
        }
        if (ret == 0)
                *base = steal_pointer(&prev);
        return ret;
}

/* ---- migrations ------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char migration_check[] =
    "apply() { echo \"+ $1\"; psql -X -q -v ON_ERROR_STOP=1 -f \"$1\"; }\n"
    "counts() { psql -X -At -c \"SELECT table_name || '|' || (xpath('/row/c/text()', "
    "query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), "
    "false, true, '')))[1]::text FROM information_schema.tables WHERE table_schema = "
    "'public' AND table_type = 'BASE TABLE' ORDER BY 1\"; }\n";

/* Replace the suite's tests with three scenarios per migration found in dir. */
static int migration_tests(struct vers_suite *s, const char *dir, const char *project,
                           vers_error_t *err)
{
        _cleanup_free_ char *abs = realpath(dir, NULL);
        if (!abs)
                return vers_make_error(err, errno, "migrations directory '%s'", dir);
        if (!project || !str_startswith(abs, project) ||
            (abs[strlen(project)] != '/' && abs[strlen(project)] != '\0'))
                return vers_make_error(err, 0,
                                       "migrations directory '%s' must be inside the project "
                                       "directory (the envs see only that)",
                                       dir);
        DIR *d = opendir(abs);
        if (!d)
                return vers_make_error(err, errno, "cannot read '%s'", abs);
        char **ups = NULL;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (str_endswith(de->d_name, ".up.sql"))
                        strv_push(&ups, de->d_name);
        }
        closedir(d);
        size_t n = strv_len(ups);
        if (n == 0) {
                strv_free(ups);
                return vers_make_error(err, 0, "no NNN_name.up.sql files in '%s'", abs);
        }
        qsort(ups, n, sizeof *ups, cmp_str);
        vers_suite_free_tests(s);
        s->tests = xcalloc(n, sizeof *s->tests);
        s->n_tests = n;
        for (size_t i = 0; i < n; i++) {
                struct vers_suite_test *t = &s->tests[i];
                _cleanup_free_ char *base = strndup(ups[i], strlen(ups[i]) - strlen(".up.sql"));
                _cleanup_free_ char *down = xasprintf("%s/%s.down.sql", abs, base);
                bool has_down = vers_path_exists(down);
                /* test names must be valid names: keep what is */
                t->name = xstrdup(base);
                for (char *c = t->name; *c; c++) {
                        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                    "._-",
                                    *c))
                                *c = '_';
                }
                if (strlen(t->name) > 64)
                        t->name[64] = '\0';
                struct strbuf sb = STRBUF_INIT;
                strbuf_addstr(&sb, "set -e\ncd ");
                strbuf_add_shell_quoted(&sb, abs);
                strbuf_addf(&sb, "\n%s", migration_check);
                for (size_t k = 0; k < i; k++) {
                        strbuf_addstr(&sb, "apply ");
                        strbuf_add_shell_quoted(&sb, ups[k]);
                        strbuf_addstr(&sb, " >/dev/null\n");
                }
                _cleanup_free_ char *downname = xasprintf("%s.down.sql", base);
                strbuf_addstr(&sb, "counts > /tmp/vers-migration-before\nup=");
                strbuf_add_shell_quoted(&sb, ups[i]);
                strbuf_addstr(&sb, "\ndown=");
                strbuf_add_shell_quoted(&sb, downname);
                strbuf_addstr(
                    &sb, "\ncase \"$VERS_MIGRATION\" in\n"
                         "up) apply \"$up\" ;;\n"
                         "up-down-up) apply \"$up\"; apply \"$down\"; apply \"$up\" ;;\n"
                         "up-twice) apply \"$up\"; apply \"$up\" ;;\n"
                         "esac\n"
                         "counts > /tmp/vers-migration-after\n"
                         "while IFS='|' read -r t c; do\n"
                         "  a=$(grep \"^$t|\" /tmp/vers-migration-after | cut -d'|' -f2)\n"
                         "  if [ \"$a\" != \"$c\" ]; then\n"
                         "    echo \"row count of $t changed: $c -> ${a:-table gone}\"; exit 1\n"
                         "  fi\n"
                         "done < /tmp/vers-migration-before\n"
                         "bad=$(psql -X -At -c \"SELECT count(*) FROM pg_constraint WHERE "
                         "contype = 'f' AND NOT convalidated\")\n"
                         "[ \"$bad\" = 0 ] || { echo \"$bad foreign keys are not valid\"; "
                         "exit 1; }\n"
                         "echo \"$VERS_MIGRATION: row counts unchanged "
                         "($(wc -l < /tmp/vers-migration-before) tables), foreign keys "
                         "valid\"\n");
                t->command = strbuf_detach(&sb);
                const char *scen[] = {"up", "up-down-up", "up-twice"};
                t->branches = xcalloc(3, sizeof *t->branches);
                for (size_t k = 0; k < 3; k++) {
                        if (k == 1 && !has_down)
                                continue;
                        struct vers_suite_branch *b = &t->branches[t->n_branches++];
                        b->name = xstrdup(scen[k]);
                        _cleanup_free_ char *kv = xasprintf("VERS_MIGRATION=%s", scen[k]);
                        strv_push(&b->env, kv);
                }
        }
        strv_free(ups);
        return 0;
}

/* ---- test branches ---------------------------------------------------------------------- */

struct job {
        size_t test;
        const struct vers_suite_branch *branch; /* NULL: the default branch */
        pid_t pid;
        char *out;     /* file with its output */
        char *res;     /* file with "status exit before_failed seconds env" */
        char *diff;    /* --diff: file with the diff as JSON, and .txt its summary */
        size_t result; /* index into rep->results */
        double t0;
};

/* What a branch prints is kept up to its last OUTPUT_MAX bytes: a test or migration from a
 * pull request may print without end, and its output passes through the host. */
#define OUTPUT_MAX (1 << 20)

/* The collector of a branch's output: reads in until stop is readable (the branch is done;
 * a process it left in a kept env may hold in open for ever), then takes what is already
 * there and writes the last OUTPUT_MAX bytes to path. */
__attribute__((noreturn)) static void collect_output(int in, int stop, const char *path)
{
        char *ring = xmalloc(OUTPUT_MAX);
        size_t head = 0, total = 0;
        char buf[65536];
        bool stopping = false;
        int drains = 0; /* reads after the stop: bounded, for a writer left behind */
        fcntl(in, F_SETFL, O_NONBLOCK);
        for (;;) {
                if (stopping && ++drains > 64)
                        break;
                if (!stopping) {
                        struct pollfd pf[2] = {{in, POLLIN, 0}, {stop, POLLIN, 0}};
                        if (poll(pf, 2, -1) < 0 && errno != EINTR)
                                break;
                        stopping = pf[1].revents != 0;
                }
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0 || (n < 0 && (errno != EAGAIN || stopping)))
                        break;
                for (ssize_t i = 0; i < n; i++) {
                        ring[head] = buf[i];
                        head = (head + 1) % OUTPUT_MAX;
                }
                if (n > 0)
                        total += (size_t)n;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                _exit(2);
        if (total > OUTPUT_MAX) {
                char note[128];
                int len = snprintf(note, sizeof note,
                                   "[vers: the first %zu bytes of the output are not kept]\n",
                                   total - OUTPUT_MAX);
                vers_write_all(fd, note, (size_t)len);
                vers_write_all(fd, ring + head, OUTPUT_MAX - head);
                vers_write_all(fd, ring, head);
        } else {
                vers_write_all(fd, ring, total);
        }
        _exit(0);
}

/* --diff: what the branch changed, against the checkpoint it was branched from, into j->diff
 * (the JSON, or {"error": why}) and j->diff.txt (its summary) */
static void diff_branch(struct vers_ctx *ctx, const struct job *j, const char *base,
                        const char *env)
{
        struct vers_diff_opts o = {.a = base, .b = env, .what = VERS_DIFF_DEFAULT};
        struct vers_diff_result r;
        vers_error_t err = NULL;
        json_t *doc;
        _cleanup_free_ char *summary = NULL;
        if (vers_diff(ctx, &o, &r, &err) == 0) {
                doc = vers_diff_json(&r);
                summary = vers_diff_summary(&r);
                vers_diff_result_free(&r);
        } else {
                doc = json_pack("{s:o}", "error", vers_json_text(err ? err->msg : "?"));
                summary = xasprintf("vers diff: %s\n", err ? err->msg : "?");
                vers_error_free(&err);
        }
        char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (text)
                vers_write_file_atomic(j->diff, text, strlen(text), 0644, NULL);
        free(text);
        _cleanup_free_ char *txt = xasprintf("%s.txt", j->diff);
        vers_write_file_atomic(txt, summary, strlen(summary), 0644, NULL);
}

/* The child process of one branch: its own metadata connection, its own env. Everything it
 * has to say goes into the branch's output (the collector's pipe); its own fds 1 and 2 stay
 * the caller's and are never written. */
__attribute__((noreturn)) static void job_main(const struct vers_suite *s, const struct job *j,
                                               const char *base, bool keep_failed)
{
        const struct vers_suite_test *t = &s->tests[j->test];
        int out[2], stop[2];
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(stop, O_CLOEXEC) < 0)
                _exit(2);
        pid_t collector = fork();
        if (collector < 0)
                _exit(2);
        if (collector == 0) {
                close(out[1]);
                close(stop[1]);
                collect_output(out[0], stop[0], j->out);
        }
        close(out[0]);
        close(stop[0]);
        int outfd = out[1];
        struct vers_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        vers_error_t err = NULL;
        int status = 0;
        bool before_failed = false;
        double t0 = vers_monotonic(), secs = 0;
        struct vers_env e = {0};
        _cleanup_free_ char *rand = vers_random_hex(6);
        _cleanup_free_ char *alias =
            xasprintf("vt-%s-%s-%s", rand, t->name, j->branch ? j->branch->name : "default");
        if (strlen(alias) > 64)
                alias[64] = '\0';
        while (alias[strlen(alias) - 1] == '.' || alias[strlen(alias) - 1] == '-')
                alias[strlen(alias) - 1] = '\0';
        if (vers_open(&ctx, &err) < 0 ||
            vers_env_branch(&ctx, base, alias, VERS_MODE_AUTO, &e, &err) < 0) {
                put(outfd, "vers: %s\n", err->msg);
                status = 125;
                goto done;
        }
        struct vers_exec_opts xo = {.extra_env = j->branch ? j->branch->env : NULL};
        if (j->branch && j->branch->before) {
                put(outfd, "$ %s\n", j->branch->before);
                if (exec_to_fd(&ctx, &e, j->branch->before, &xo, outfd, &status, &err) < 0) {
                        put(outfd, "vers: %s\n", err->msg);
                        status = 125;
                }
                if (status != 0) {
                        before_failed = true;
                        goto done;
                }
        }
        if (strchr(t->command, '\n'))
                put(outfd, "$ %.*s ...\n", (int)strcspn(t->command, "\n"), t->command);
        else
                put(outfd, "$ %s\n", t->command);
        t0 = vers_monotonic();
        if (exec_to_fd(&ctx, &e, t->command, &xo, outfd, &status, &err) < 0) {
                put(outfd, "vers: %s\n", err->msg);
                status = 125;
        }
done:
        secs = vers_monotonic() - t0;
        if (j->diff && e.id)
                diff_branch(&ctx, j, base, e.id);
        bool keep = status != 0 && keep_failed && e.id;
        if (e.id && !keep)
                vers_env_delete(&ctx, e.id, NULL);
        /* the output is complete: let the collector write it */
        close(outfd);
        close(stop[1]);
        while (waitpid(collector, NULL, 0) < 0 && errno == EINTR)
                ;
        _cleanup_free_ char *line =
            xasprintf("%d %d %.3f %s\n", status, before_failed ? 1 : 0, secs, keep ? e.id : "-");
        vers_write_file_atomic(j->res, line, strlen(line), 0644, NULL);
        _exit(0);
}

static void job_finish(struct job *j, struct vers_test_report *rep, const struct vers_test_opts *o)
{
        struct vers_test_result *r = &rep->results[j->result];
        _cleanup_free_ char *res = NULL;
        int status = 125, bf = 0;
        double secs = vers_monotonic() - j->t0;
        char env[64] = "-";
        if (vers_read_file(j->res, &res, NULL, NULL) == 0)
                sscanf(res, "%d %d %lf %63s", &status, &bf, &secs, env);
        size_t len = 0;
        if (vers_read_file(j->out, &r->output, &len, NULL) < 0)
                r->output = xstrdup("");
        r->exit_code = status;
        r->before_failed = bf != 0;
        r->seconds = secs;
        r->status = status == 0 ? VERS_TEST_PASSED : VERS_TEST_FAILED;
        r->env = strcmp(env, "-") ? xstrdup(env) : NULL;
        if (r->status == VERS_TEST_PASSED)
                rep->passed++;
        else
                rep->failed++;
        say(o, "%s %s/%s (%.2f s)%s%s", r->status == VERS_TEST_PASSED ? "passed" : "FAILED",
            r->test, r->branch, r->seconds, r->before_failed ? ": 'before' failed" : "",
            r->env ? "; kept env for 'vers connect'" : "");
        unlink(j->out);
        unlink(j->res);
        if (j->diff) {
                _cleanup_free_ char *txt = xasprintf("%s.txt", j->diff);
                if (vers_read_file(j->diff, &r->diff, NULL, NULL) < 0)
                        r->diff = xstrdup("{\"error\": \"the branch wrote no diff\"}");
                if (vers_read_file(txt, &r->diff_summary, NULL, NULL) < 0)
                        r->diff_summary = xstrdup("vers diff: none written\n");
                unlink(j->diff);
                unlink(txt);
        }
}

/* The suite of a run (or of its listing): the file, or the migrations' tests; its name into
 * *file for messages. Checks what only and the shard ask for against it. */
static int load_suite(struct vers_ctx *ctx, const struct vers_test_opts *o, struct vers_suite *s,
                      char **file, vers_error_t *err)
{
        memset(s, 0, sizeof *s);
        *file = o->file            ? xstrdup(o->file)
                : ctx->project_dir ? xasprintf("%s/vers-integration.yaml", ctx->project_dir)
                                   : xstrdup("vers-integration.yaml");
        if (o->shards && o->only)
                return vers_make_error(err, 0,
                                       "--shard and --only cannot be combined (a shard is a "
                                       "slice of the whole matrix)");
        if (o->shards && (o->shard < 1 || o->shard > o->shards))
                return vers_make_error(err, 0, "shard %u of %u does not exist", o->shard,
                                       o->shards);
        if (o->migrations && !o->file && !vers_path_exists(*file))
                s->name = xstrdup("migrations"); /* no suite: vers.toml's services, no seed */
        else if (vers_suite_load(*file, s, err) < 0)
                return -1;
        if (o->migrations && migration_tests(s, o->migrations, ctx->project_dir, err) < 0)
                return -1;
        if (o->only) {
                _cleanup_free_ char *t = xstrdup(o->only);
                char *slash = strchr(t, '/');
                if (slash)
                        *slash = '\0';
                if (vers_suite_find_test(s, t) < 0)
                        return vers_make_error(err, 0, "--only: no test '%s' in %s", t, *file);
        }
        return 0;
}

int vers_test_list(struct vers_ctx *ctx, const struct vers_test_opts *o, struct vers_test_list *out,
                   vers_error_t *err)
{
        memset(out, 0, sizeof *out);
        struct vers_suite s;
        _cleanup_free_ char *file = NULL;
        _cleanup_free_ struct vers_test_item *plan = NULL;
        size_t n = 0;
        int ret = -1;
        if (load_suite(ctx, o, &s, &file, err) < 0 ||
            vers_test_plan(&s, o->only, o->shard, o->shards, &plan, &n, err) < 0)
                goto out;
        out->suite = xstrdup(s.name ? s.name : "vers-integration");
        out->cells = xcalloc(n ? n : 1, sizeof *out->cells);
        for (size_t i = 0; i < n; i++) {
                out->cells[i].test = xstrdup(s.tests[plan[i].test].name);
                out->cells[i].branch = xstrdup(vers_test_item_branch(&plan[i]));
                out->cells[i].index = plan[i].index;
        }
        out->n = n;
        ret = 0;
out:
        vers_suite_free(&s);
        return ret;
}

void vers_test_list_free(struct vers_test_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->cells[i].test);
                free(l->cells[i].branch);
        }
        free(l->cells);
        free(l->suite);
        memset(l, 0, sizeof *l);
}

int vers_test_run(struct vers_ctx *ctx, const struct vers_test_opts *o,
                  struct vers_test_report *rep, vers_error_t *err)
{
        memset(rep, 0, sizeof *rep);
        double t_start = vers_monotonic();
        struct vers_suite s;
        _cleanup_free_ char *file = NULL;
        int ret = -1;
        struct vers_test_item *plan = NULL;
        size_t nplan = 0;
        _cleanup_free_ char *image = NULL, *base = NULL;
        char tmpdir[] = "/tmp/vers-test-run.XXXXXX";
        bool made_tmpdir = false;
        struct job *jobs = NULL;
        size_t njobs = 0;
        bool loaded = load_suite(ctx, o, &s, &file, err) == 0;
        rep->suite = xstrdup(s.name ? s.name : "vers-integration");
        if (!loaded)
                goto out;
        if (vers_test_plan(&s, o->only, o->shard, o->shards, &plan, &nplan, err) < 0)
                goto out;
        if (o->shards && nplan == 0) {
                /* nothing of this slice to run: no image, no checkpoints */
                say(o, "shard %u/%u: no cells (the matrix has fewer than %u)", o->shard, o->shards,
                    o->shard);
                ret = 0;
                goto out;
        }
        if (o->shards)
                say(o, "shard %u/%u: %zu cells", o->shard, o->shards, nplan);
        /* the suite's services and sizes are this run's; vers.toml's other settings stay */
        vers_suite_into_config(&s, &ctx->cfg);
        bool cached = false;
        if (vers_build(ctx, &(struct vers_build_opts){0}, &image, &cached, err) < 0)
                goto out;
        say(o, "image %s%s", image, cached ? " (cached)" : "");
        if (run_checkpoints(ctx, &s, image, o, rep, &base, err) < 0)
                goto out;
        /* [pool] size: the checkpoint's pool is kept at that size, and each branch below takes
         * a ready env from it (engine/pool.h); it stays for the next run */
        if (ctx->cfg.pool_size > 0 && base &&
            vers_pool_set(ctx, base, (int)ctx->cfg.pool_size, VERS_MODE_AUTO, NULL, err) < 0)
                goto out;
        if (!mkdtemp(tmpdir)) {
                vers_make_error(err, errno, "cannot create a temporary directory");
                goto out;
        }
        made_tmpdir = true;
        int maxjobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
        if (maxjobs < 1)
                maxjobs = 1;
        jobs = xcalloc(nplan ? nplan : 1, sizeof *jobs);
        rep->results = xcalloc(nplan ? nplan : 1, sizeof *rep->results);
        for (; njobs < nplan; njobs++) {
                struct job *j = &jobs[njobs];
                j->test = plan[njobs].test;
                j->branch = plan[njobs].branch;
                j->out = xasprintf("%s/%zu.out", tmpdir, njobs);
                j->res = xasprintf("%s/%zu.res", tmpdir, njobs);
                j->diff = o->diff ? xasprintf("%s/%zu.diff", tmpdir, njobs) : NULL;
                struct vers_test_result *r = &rep->results[rep->n_results];
                r->test = xstrdup(s.tests[j->test].name);
                r->branch = xstrdup(vers_test_item_branch(&plan[njobs]));
                r->status = VERS_TEST_SKIPPED;
                j->result = rep->n_results++;
        }
        /* run test by test, in depends_on order; a test's branches run in parallel (the
         * children never use stdio: nothing of the caller's is flushed twice) */
        for (size_t first = 0; first < njobs;) {
                size_t last = first;
                while (last < njobs && jobs[last].test == jobs[first].test)
                        last++;
                const struct vers_suite_test *t = &s.tests[jobs[first].test];
                const char *blocked = vers_test_blocked_by(&s, jobs[first].test, rep);
                if (blocked) {
                        for (size_t i = first; i < last; i++) {
                                struct vers_test_result *r = &rep->results[jobs[i].result];
                                r->output = xasprintf("skipped: '%s' failed\n", blocked);
                                rep->skipped++;
                                say(o, "skipped %s/%s ('%s' failed)", r->test, r->branch, blocked);
                        }
                        first = last;
                        continue;
                }
                size_t next = first, running = 0;
                while (next < last || running > 0) {
                        while (next < last && running < (size_t)maxjobs) {
                                struct job *j = &jobs[next++];
                                say(o, "running %s/%s", t->name,
                                    j->branch ? j->branch->name : "default");
                                j->t0 = vers_monotonic();
                                j->pid = fork();
                                if (j->pid == 0)
                                        job_main(&s, j, base, o->keep_failed);
                                if (j->pid < 0) {
                                        vers_make_error(err, errno, "fork");
                                        goto out;
                                }
                                running++;
                        }
                        int st;
                        pid_t done = waitpid(-1, &st, 0);
                        if (done < 0 && errno == EINTR)
                                continue;
                        if (done < 0)
                                break;
                        for (size_t i = first; i < next; i++) {
                                if (jobs[i].pid == done) {
                                        jobs[i].pid = 0;
                                        job_finish(&jobs[i], rep, o);
                                        running--;
                                }
                        }
                }
                first = last;
        }
        ret = 0;
out:
        for (size_t i = 0; i < njobs; i++) {
                free(jobs[i].out);
                free(jobs[i].res);
                free(jobs[i].diff);
        }
        free(jobs);
        if (made_tmpdir)
                vers_rm_rf(tmpdir, NULL);
        free(plan);
        vers_suite_free(&s);
        rep->seconds = vers_monotonic() - t_start;
        return ret;
}
