/*
** fuzz_merge.c — `vmmsim fuzz-merge FILE...`: the command line of merging a
** campaign's shards (explore's xpl_fuzz_merge; docs/fuzzing.md, "Shards").
*/
#include <stdlib.h>

#include "cli.h"
#include "opt.h"

static const char merge_help[] =
"usage: vmmsim fuzz-merge [--out FILE] [--json] [--quiet]\n"
"                         [--distinct HASHES.txt]... [--no-distinct] FINDINGS.jsonl...\n"
"\n"
"Combines the findings files of the shards of one campaign ('vmmsim fuzz --shard\n"
"I/N --out DIR' writes DIR/findings.jsonl) into one, in run order, dropping\n"
"duplicate lines. Writes to FILE or stdout.\n"
"\n"
"It also counts the distinct schedules of the whole campaign: the union of the\n"
"shards' hash sets (DIR/distinct.txt, written by 'vmmsim fuzz --out DIR'), the count\n"
"the unsharded campaign reports. By default the set beside each findings file is\n"
"used; --distinct names the sets instead (repeat it, one per shard; with no findings\n"
"file only the count is printed).\n"
"\n"
"options:\n"
"  --out FILE             write the merged findings to FILE (default: stdout)\n"
"  --distinct FILE        a shard's hash set (repeatable)\n"
"  --no-distinct          do not count distinct schedules\n"
"  --json                 print the summary as one JSON object\n"
"  --quiet                no summary\n"
"The summary goes to stdout, or to stderr when the findings go to stdout.\n"
"\n"
"exit status: 0 merged, 2 bad usage or input, 4 host error.\n";

int cli_fuzz_merge_main(int argc, char **argv) {
    xpl_merge_opts o = { 0 };
    o.findings = calloc((size_t)argc + 1, sizeof *o.findings);
    o.distinct = calloc((size_t)argc + 1, sizeof *o.distinct);
    if (!o.findings || !o.distinct) { free(o.findings); free(o.distinct); return CLI_EXIT_HOST; }
    const cli_opt opts[] = {
        { "--out", NULL, CLI_OPT_STR, &o.out, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--distinct", NULL, CLI_OPT_LIST, o.distinct, 0, (uint64_t)argc, "a FILE", &o.ndistinct, NULL, 0 },
        { "--json", NULL, CLI_OPT_FLAG, &o.json, 0, 0, NULL, NULL, NULL, 0 },
        { "--quiet", "-q", CLI_OPT_FLAG, &o.quiet, 0, 0, NULL, NULL, NULL, 0 },
        { "--no-distinct", NULL, CLI_OPT_FLAG, &o.no_distinct, 0, 0, NULL, NULL, NULL, 0 },
    };
    const cli_cmd cmd = { "fuzz-merge", merge_help, opts, sizeof opts / sizeof opts[0], o.findings,
                          (uint32_t)argc, &o.nfindings, "FINDINGS files" };
    int rc = cli_opt_parse(&cmd, argc, argv, 1);
    if (!rc && !o.nfindings && !o.ndistinct) rc = cli_usage_err(&cmd, "expected findings files", NULL);
    if (!rc && o.ndistinct && o.no_distinct)
        rc = cli_usage_err(&cmd, "--distinct and --no-distinct together", NULL);
    if (!rc) rc = xpl_fuzz_merge(&o);
    free(o.findings);
    free(o.distinct);
    return rc < 0 ? CLI_EXIT_OK : rc;
}
