{
  "targets": [
    {
      "target_name": "fluo_fastpath",
      "sources": ["fastpath.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
