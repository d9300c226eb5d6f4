"""The weight files the course notebooks load with `weights: "imagenet"`, made without the
network: Keras's own models with random weights (fixed seed), written in the layout of Keras's
published ImageNet files under their published names, so a notebook test runs the very code
path a student's notebook does (the prelude finds them in its cache's `models/` folder).

Writes into OUTDIR/models/:

- `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5` (Swedish and Danish
  notebooks: the 160x160 base without the top);
- `resnet50_weights_tf_dim_ordering_tf_kernels.h5` (English notebook: ResNet50 with the top);
- `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5` (style transfer's VGG19 features);
- `imagenet_class_index.json`: a 1000-class index in Keras's format (made-up names).

The networks' answers are meaningless (the weights are random); the tests check that the
notebooks run, show what the course shows, and that frozen weights stay frozen.

    KERAS_BACKEND=torch python tests/keras_reference/make_course_weights.py OUTDIR
"""
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from make_applications import randomize, write_keras2_legacy  # noqa: E402

APPS = keras.applications

# name: (constructor, kwargs, BatchNormalization gamma range)
FILES = {
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5": (
        APPS.MobileNetV2, dict(input_shape=(160, 160, 3), include_top=False), (0.5, 1.5)),
    # Gammas near 1 make ResNet50's residual sums grow into the thousands (see make_applications).
    "resnet50_weights_tf_dim_ordering_tf_kernels.h5": (APPS.ResNet50, dict(), (0.2, 0.5)),
    "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5": (
        APPS.VGG19, dict(include_top=False, input_shape=(224, 224, 3)), (0.5, 1.5)),
}


def main(out):
    models = Path(out) / "models"
    models.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    for name, (ctor, kwargs, gamma) in FILES.items():
        keras.backend.clear_session()
        model = ctor(weights=None, **kwargs)
        randomize(model.layers, rng, gamma)
        tmp = models / (name + ".tmp")
        write_keras2_legacy(model, tmp)
        tmp.replace(models / name)
        del model
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (models / "imagenet_class_index.json").write_text(json.dumps(index))
    print(f"wrote {models}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
