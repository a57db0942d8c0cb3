//! A real PostgreSQL server from `PgServer`: started, a database created and used, crashed
//! and restarted with its data intact, and its directory gone after the drop.

use saltrelay_pgtest::PgServer;

#[test]
fn starts_creates_restarts_and_cleans_up() {
    let Some(server) = PgServer::for_test("starts_creates_restarts_and_cleans_up") else {
        return;
    };
    let url = server
        .create_database("pgtest_self")
        .expect("create database");
    assert!(url.ends_with("/pgtest_self"), "{url}");
    let psql = |sql: &str| {
        server
            .psql_in(&url, &[sql])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .trim()
            .to_owned()
    };
    psql("CREATE TABLE t (v int); INSERT INTO t VALUES (7)");
    let version = server.psql(&["SHOW server_version_num"]).expect("version");
    assert!(
        version.trim().parse::<u32>().expect("a number") >= 150_000,
        "{version}"
    );
    if let Some(data) = server.data_dir() {
        // A crash and a restart keep the committed row (synchronous_commit stays on).
        server.restart().expect("restart");
        assert_eq!(psql("SELECT v FROM t"), "7");
        drop(server);
        assert!(!data.exists(), "the data directory outlived the server");
    }
}
