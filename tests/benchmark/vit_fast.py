"""A patch-ViT small and short enough for a test (seconds on CPU): ``linecorr train patch-vit`` overrides."""

FAST = ["--set", "model.image_size=128", "--set", "data.crop=64", "--set", "model.dim=32", "--set", "model.heads=2",
        "--set", "model.depth=1", "--set", "model.multiplex_layers=1", "--set", "steps=3", "--set", "eval_every=3",
        "--set", "ckpt_every=3", "--set", "workers=0", "--set", "val_pairs=2", "--set", "batch_size=2",
        "--set", "time_limit_min=0", "--set", "loss.positives=32", "--set", "loss.negatives=8"]
