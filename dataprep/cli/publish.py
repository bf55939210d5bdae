"""``linecorr publish DIR --out OUT``: Hugging Face DatasetDict + parquet shards + dataset card."""

from __future__ import annotations

from dataprep.cli import add_command, add_config_args


def register(sub, name: str) -> None:
    p = add_command(sub, name, "publish a dataset for Hugging Face datasets: parquet shards (Hub layout), a "
                    "save_to_disk copy, a dataset card; optionally push to the Hub",
                    "linecorr publish data/pbc --out hf/pbc --repo-id my-org/pbc-lines --push", run)
    p.add_argument("dataset", help="dataset folder")
    p.add_argument("--out", required=True, help="output folder (written as OUT.partial, renamed when complete)")
    p.add_argument("--repo-id", metavar="ORG/NAME", help="Hub dataset repository (shown in the card; needed by --push)")
    p.add_argument("--push", action="store_true",
                   help="upload to the Hub (needs HF_TOKEN or `hf auth login`, and network; checked first)")
    p.add_argument("--private", action="store_true", help="create the Hub repository private")
    p.add_argument("--max-shard-size", metavar="SIZE", help="parquet/arrow shard size limit (default 500MB)")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if an earlier publish wrote it")
    add_config_args(p, "max_shard_size=1GB", "repo_id, push, private, overwrite, max_shard_size, writer_batch_size, "
                    "row_group_size, unsplit, validate, verify, preview, timeout")


def run(args) -> int:
    from dataprep.config import load_config
    from dataprep.publish import PublishConfig, publish_dataset

    flags = [f"repo_id={args.repo_id}"] if args.repo_id else []
    flags += [f"{k}=true" for k in ("push", "private", "overwrite") if getattr(args, k)]
    if args.max_shard_size:
        flags.append(f"max_shard_size={args.max_shard_size}")
    cfg = load_config(PublishConfig, args.config, args.overrides + flags)  # explicit flags win
    res = publish_dataset(args.dataset, args.out, cfg)
    rows = ", ".join(f"{k} {v}" for k, v in res.splits.items())
    print(f"{args.out}: {sum(res.splits.values())} pairs ({rows})")
    if res.url:
        print(f"pushed to {res.url}")
    print(f"wrote {args.out}")
    return 0
