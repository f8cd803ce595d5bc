/* SPDX-License-Identifier: ISC */
/*
 * check_conffile.c: the --config file's shape (conffile.c): the
 * mcpServers entries the IDEs write, the errors with their JSON paths,
 * the size bound, and the "did you mean" for a misspelt key.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checktest.h"
#include "conffile.h"
#include "xmalloc.h"

static int
parse(struct conffile *cf, const char *text)
{
	return conffile_parse(cf, "f.json", text, strlen(text));
}

/* The file Claude Desktop keeps, as it is. */
START_TEST(test_claude_desktop)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf,
	    "{\"mcpServers\": {\n"
	    "  \"filesystem\": {\"command\": \"npx\", \"args\": [\"-y\",\n"
	    "    \"@modelcontextprotocol/server-filesystem\", \"/tmp\"]},\n"
	    "  \"git\": {\"command\": \"uvx\", \"args\": [\"mcp-server-git\"],\n"
	    "    \"env\": {\"GIT_TOKEN\": \"s3cret\", \"A\": \"\"},\n"
	    "    \"cwd\": \"/srv\"}\n"
	    "}}"), 0);
	ck_assert_ptr_null(cf.errors);
	ck_assert_uint_eq(cf.nservers, 2);
	ck_assert_str_eq(cf.servers[0].name, "filesystem");
	ck_assert_str_eq(cf.servers[0].command[0], "npx");
	ck_assert_str_eq(cf.servers[0].command[1], "-y");
	ck_assert_str_eq(cf.servers[0].command[3], "/tmp");
	ck_assert_ptr_null(cf.servers[0].command[4]);
	ck_assert_ptr_null(cf.servers[0].env);
	ck_assert_str_eq(cf.servers[1].name, "git");
	ck_assert_str_eq(cf.servers[1].path, "mcpServers.git");
	ck_assert_uint_eq(cf.servers[1].nenv, 2);
	ck_assert_str_eq(cf.servers[1].env[0], "GIT_TOKEN=s3cret");
	ck_assert_str_eq(cf.servers[1].env[1], "A=");
	ck_assert_str_eq(cf.servers[1].cwd, "/srv");
	ck_assert_ptr_null(cf.servers[1].url);
	ck_assert_ptr_null(cf.bridge);
	conffile_free(&cf);
}
END_TEST

/* Args before command in the file: still after it in the argv. */
START_TEST(test_args_first)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"a\": {\"args\": "
	    "[\"x\"], \"command\": \"c\"}}}"), 0);
	ck_assert_str_eq(cf.servers[0].command[0], "c");
	ck_assert_str_eq(cf.servers[0].command[1], "x");
	conffile_free(&cf);
}
END_TEST

/* Cursor's and VS Code's remote entries, and the bridge's objects. */
START_TEST(test_remote_and_bridge)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf,
	    "{\"$schema\": \"x\", \"mcpServers\": {\n"
	    "  \"r\": {\"type\": \"http\", \"url\": \"https://h/mcp\",\n"
	    "    \"headers\": {\"Authorization\": \"Bearer t\"}},\n"
	    "  \"s\": {\"type\": \"stdio\", \"command\": \"c\",\n"
	    "    \"mcpbridge\": {\"isolation\": \"session\"}},\n"
	    "  \"u\": {\"mcpbridge\": {\"connect\": \"unix:/s\"}}\n"
	    "}, \"mcpbridge\": {\"port\": 9000}}"), 0);
	ck_assert_uint_eq(cf.nservers, 3);
	ck_assert_str_eq(cf.servers[0].url, "https://h/mcp");
	ck_assert_ptr_null(cf.servers[0].command);
	ck_assert_str_eq(cf.servers[0].headers[0], "Authorization: Bearer t");
	ck_assert_ptr_nonnull(cf.servers[1].bridge);
	ck_assert_ptr_null(cf.servers[2].command);
	ck_assert_ptr_null(cf.servers[2].url);
	ck_assert_ptr_nonnull(cf.bridge);
	conffile_free(&cf);
}
END_TEST

/* A file with only the bridge's settings: the command comes after --. */
START_TEST(test_no_servers)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf, "{\"mcpbridge\": {}}"), 0);
	ck_assert_uint_eq(cf.nservers, 0);
	conffile_free(&cf);
	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {}}"), 0);
	ck_assert_uint_eq(cf.nservers, 0);
	conffile_free(&cf);
}
END_TEST

/* Every error in one run, each with the file and the path to it. */
START_TEST(test_errors_with_paths)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf,
	    "{\"mcpServer\": {}, \"mcpServers\": {\n"
	    "  \"a\": {\"comand\": \"x\", \"args\": \"-v\"},\n"
	    "  \"b\": {\"command\": \"x\", \"args\": [1], \"env\": "
	    "{\"K\": 5, \"=\": \"v\"}},\n"
	    "  \"c\": {\"command\": \"x\", \"url\": \"https://h\"},\n"
	    "  \"d d\": {\"command\": \"\"},\n"
	    "  \"e\": {\"url\": \"https://h\", \"args\": [], \"type\": "
	    "\"stdio\"},\n"
	    "  \"f\": {\"command\": \"x\", \"headers\": {}, \"mcpbridge\": 1}\n"
	    "}, \"mcpbridge\": []}"), -1);
	ck_assert_str_eq(cf.errors,
	    "f.json: mcpServer: unknown key (did you mean \"mcpServers\"?)\n"
	    "f.json: mcpServers.a.comand: unknown key (did you mean "
	    "\"command\"?)\n"
	    "f.json: mcpServers.a.args: wants an array of strings, not a "
	    "string\n"
	    "f.json: mcpServers.a: wants one of \"command\" (a local "
	    "server), \"url\" (a remote one) or \"mcpbridge\": { \"connect\": "
	    "... }\n"
	    "f.json: mcpServers.b.env.K: wants a string, not a number\n"
	    "f.json: mcpServers.b.env.=: is not a valid variable name\n"
	    "f.json: mcpServers.b.args[0]: wants a string, not a number\n"
	    "f.json: mcpServers.c: wants one of \"command\" (a local "
	    "server), \"url\" (a remote one) or \"mcpbridge\": { \"connect\": "
	    "... }\n"
	    "f.json: mcpServers.d d: a server's name is 1 to 64 letters, "
	    "digits, '.', '_' or '-', not starting with '.'\n"
	    "f.json: mcpServers.d d.command: is empty\n"
	    "f.json: mcpServers.e: \"args\" goes with \"command\"\n"
	    "f.json: mcpServers.e.type: \"stdio\" does not fit a server with "
	    "\"url\"\n"
	    "f.json: mcpServers.f.mcpbridge: wants an object, not a number\n"
	    "f.json: mcpServers.f: \"headers\" goes with \"url\"\n"
	    "f.json: mcpbridge: wants an object, not an array\n");
	ck_assert_uint_eq(cf.nerrors, 15);
	conffile_free(&cf);
}
END_TEST

/* A secret in env is never shown, even when its entry is wrong. */
START_TEST(test_env_secret_not_shown)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"a\": {\"url\": "
	    "\"https://h\", \"env\": {\"TOKEN\": \"hunter2\"}, \"headers\": "
	    "{\"X\": \"hunter3\\r\\nY: z\"}}}}"), -1);
	ck_assert_ptr_nonnull(cf.errors);
	ck_assert_ptr_null(strstr(cf.errors, "hunter"));
	ck_assert_ptr_nonnull(strstr(cf.errors,
	    "mcpServers.a.headers.X: holds a line break"));
	conffile_free(&cf);
}
END_TEST

/* Found by fuzz_conffile: a key with a line break made two lines of one
 * error.  Each error is one line, with no control character in it. */
START_TEST(test_error_one_line)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"r\": {\"url\": "
	    "\"https://h\", \"a\\nb\\u001b[2J\": 1}}}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: mcpServers.r.a?b?[2J: unknown "
	    "key\n");
	conffile_free(&cf);
}
END_TEST

START_TEST(test_not_json)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {},}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: not JSON\n");
	conffile_free(&cf);
	/* A cause beyond the grammar is given after it. */
	ck_assert_int_eq(parse(&cf, "{\"a\": NaN}"), -1);
	ck_assert_ptr_nonnull(strstr(cf.errors, "f.json: not JSON"));
	conffile_free(&cf);
	ck_assert_int_eq(parse(&cf, "[]"), -1);
	ck_assert_str_eq(cf.errors, "f.json: wants an object, not an "
	    "array\n");
	conffile_free(&cf);
	/* Two servers of one name: json-c would keep the last only. */
	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"fs\": {\"command\": "
	    "\"a\"}, \"fs\": {\"command\": \"b\"}}}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: mcpServers.fs: duplicate key\n");
	conffile_free(&cf);
	/* Anywhere in the file, each one named, escapes decoded. */
	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"fs\": {\"command\": "
	    "\"a\", \"args\": [{\"x\": 1, \"x\": 2}], \"cwd\": \"/\", "
	    "\"c\\u0077d\": \"/\"}}, \"mcpbridge\": {}, \"mcpbridge\": {}}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: mcpServers.fs.args[0].x: "
	    "duplicate key\nf.json: mcpServers.fs.cwd: duplicate key\n"
	    "f.json: mcpbridge: duplicate key\n"
	    "f.json: mcpServers.fs.args[0]: wants a string, not an object\n");
	conffile_free(&cf);
	/* Beside an integer past 64 bits, the same. */
	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {}, \"mcpbridge\": "
	    "{\"a\": 18446744073709551616, \"a\": 1}}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: mcpbridge.a: duplicate key\n");
	conffile_free(&cf);
	ck_assert_int_eq(parse(&cf, "{\"servers\": {}}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: servers: unknown key (VS Code's; "
	    "the bridge reads \"mcpServers\")\n");
	conffile_free(&cf);
}
END_TEST

/* A NUL in a member name: json-c would cut the name there and the
 * shortened key would be applied.  Refused wherever it is, named by its
 * path with the NUL shown as '?'. */
START_TEST(test_nul_in_name)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"a\\u0000b\": "
	    "{\"command\": \"x\"}}, \"mcpbridge\\u0000zz\": {}}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: mcpServers.a?b: the name holds "
	    "a NUL character\nf.json: mcpbridge?zz: the name holds a NUL "
	    "character\n");
	conffile_free(&cf);
	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"s\": {\"command\": "
	    "\"x\", \"env\": {\"FOO\\u0000=BAR\": \"1\"}, \"mcpbridge\": "
	    "{\"deny-tool\\u0000xx\": \"rm\"}}}}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: mcpServers.s.env.FOO?=BAR: the "
	    "name holds a NUL character\nf.json: "
	    "mcpServers.s.mcpbridge.deny-tool?xx: the name holds a NUL "
	    "character\n");
	conffile_free(&cf);
	/* In a value it is the value's error, as before. */
	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"s\": {\"command\": "
	    "\"x\\u0000y\"}}}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: mcpServers.s.command: holds a "
	    "NUL character\n");
	conffile_free(&cf);
}
END_TEST

/* A duplicate key hides no other error: both are said in one run. */
START_TEST(test_duplicate_and_others)
{
	struct conffile	cf;

	ck_assert_int_eq(parse(&cf, "{\"mcpServers\": {\"a\": {\"command\": "
	    "\"x\"}, \"a\": {\"command\": \"y\"}, \"b\": {\"command\": \"z\", "
	    "\"zzz\": 1}}, \"extra\": 1}"), -1);
	ck_assert_str_eq(cf.errors, "f.json: mcpServers.a: duplicate key\n"
	    "f.json: mcpServers.b.zzz: unknown key\n"
	    "f.json: extra: unknown key\n");
	conffile_free(&cf);
}
END_TEST

/* Only a regular file is read: a FIFO would block (at start, or the
 * event loop on a reload), a directory or a device is no file of JSON. */
START_TEST(test_not_regular)
{
	struct conffile	cf;
	char		dir[] = "/tmp/check_conffile.XXXXXX", *fifo;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	xasprintf(&fifo, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(conffile_load(&cf, fifo), -1);
	ck_assert_ptr_nonnull(strstr(cf.errors, "/fifo: not a regular file: "
	    "a FIFO\n"));
	conffile_free(&cf);
	ck_assert_int_eq(conffile_load(&cf, dir), -1);
	ck_assert_ptr_nonnull(strstr(cf.errors, ": not a regular file: a "
	    "directory\n"));
	conffile_free(&cf);
	ck_assert_int_eq(conffile_load(&cf, "/dev/zero"), -1);
	ck_assert_str_eq(cf.errors, "/dev/zero: not a regular file: a "
	    "device\n");
	conffile_free(&cf);
	unlink(fifo);
	rmdir(dir);
	free(fifo);
}
END_TEST

/* More errors than kept: counted all the same. */
START_TEST(test_error_cap)
{
	struct conffile	cf;
	char		text[4096];
	size_t		i, n = 0;

	n += (size_t)snprintf(text + n, sizeof text - n, "{");
	for (i = 0; i < CONFFILE_MAX_ERRORS + 5; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
		    "%s\"k%zu\": 1", i > 0 ? ", " : "", i);
	snprintf(text + n, sizeof text - n, "}");
	ck_assert_int_eq(parse(&cf, text), -1);
	ck_assert_uint_eq(cf.nerrors, CONFFILE_MAX_ERRORS + 5);
	n = 0;
	for (i = 0; cf.errors[i] != '\0'; i++)
		n += cf.errors[i] == '\n';
	ck_assert_uint_eq(n, CONFFILE_MAX_ERRORS);
	conffile_free(&cf);
}
END_TEST

START_TEST(test_size_bound)
{
	struct conffile	cf;
	char		path[] = "/tmp/check_conffile.XXXXXX";
	char		*big;
	FILE		*f;
	int		 fd;

	big = calloc(1, CONFFILE_MAX_SIZE + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', CONFFILE_MAX_SIZE + 1);
	big[0] = '{';
	big[CONFFILE_MAX_SIZE] = '}';
	ck_assert_int_eq(conffile_parse(&cf, "f.json", big,
	    CONFFILE_MAX_SIZE + 1), -1);
	ck_assert_str_eq(cf.errors, "f.json: larger than 1048576 bytes\n");
	conffile_free(&cf);

	/* From a file, too, and one at the limit is read. */
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	f = fdopen(fd, "w");
	ck_assert_uint_eq(fwrite(big, 1, CONFFILE_MAX_SIZE + 1, f),
	    CONFFILE_MAX_SIZE + 1);
	fclose(f);
	ck_assert_int_eq(conffile_load(&cf, path), -1);
	ck_assert_ptr_nonnull(strstr(cf.errors, ": larger than 1048576 "
	    "bytes"));
	conffile_free(&cf);
	ck_assert_int_eq(truncate(path, CONFFILE_MAX_SIZE), 0);
	big[CONFFILE_MAX_SIZE - 1] = '}';
	f = fopen(path, "w");
	ck_assert_uint_eq(fwrite(big, 1, CONFFILE_MAX_SIZE, f),
	    CONFFILE_MAX_SIZE);
	fclose(f);
	ck_assert_int_eq(conffile_load(&cf, path), 0);
	conffile_free(&cf);
	ck_assert_int_eq(conffile_load(&cf, "/nonexistent/x.json"), -1);
	ck_assert_str_eq(cf.errors, "/nonexistent/x.json: cannot read it: "
	    "No such file or directory\n");
	conffile_free(&cf);
	unlink(path);
	free(big);
}
END_TEST

START_TEST(test_nearest)
{
	const char *const names[] = { "isolation", "restart", "port",
	    "max-children" };

	ck_assert_str_eq(conffile_nearest("isolaton", names, 4), "isolation");
	ck_assert_str_eq(conffile_nearest("restrat", names, 4), "restart");
	ck_assert_str_eq(conffile_nearest("max_children", names, 4),
	    "max-children");
	ck_assert_ptr_null(conffile_nearest("zzzzzz", names, 4));
	/* Two letters are not a typo of "port". */
	ck_assert_ptr_null(conffile_nearest("po", names, 4));
	ck_assert_ptr_null(conffile_nearest("isolation", names, 0));
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("conffile");
	TCase	*tc = tcase_create("conffile");

	tcase_add_test(tc, test_claude_desktop);
	tcase_add_test(tc, test_nul_in_name);
	tcase_add_test(tc, test_not_regular);
	tcase_add_test(tc, test_duplicate_and_others);
	tcase_add_test(tc, test_args_first);
	tcase_add_test(tc, test_remote_and_bridge);
	tcase_add_test(tc, test_no_servers);
	tcase_add_test(tc, test_errors_with_paths);
	tcase_add_test(tc, test_env_secret_not_shown);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_error_one_line);
	tcase_add_test(tc, test_error_cap);
	tcase_add_test(tc, test_size_bound);
	tcase_add_test(tc, test_nearest);
	suite_add_tcase(s, tc);
	return s;
}
