//! Keras's `keras.preprocessing` and the scikit-learn / pandas helpers the course uses:
//! CSV tables, one-hot encoding, label encoding, scaling, splitting; image resizing and
//! augmentation; text vocabularies and tokenizing.

pub(crate) mod augment;
pub(crate) mod csv_reader;
mod flow;
pub(crate) mod label_encoder;
pub(crate) mod random_layers;
pub(crate) mod resize;
pub(crate) mod scaler;
pub(crate) mod split;
pub(crate) mod table;
mod table_render;
pub(crate) mod text;
pub(crate) mod tokenizer;

pub use augment::{affine_transform, ImageDataGenerator, TransformParams};
pub use csv_reader::{read_csv, CsvOptions};
pub use flow::Flow;
pub use label_encoder::LabelEncoder;
pub use random_layers::{RandomFlip, RandomRotation, RandomZoom};
pub use resize::{resize_images, resize_images_with};
pub use scaler::StandardScaler;
pub use split::{train_test_split, TrainTestSplit};
pub use table::{get_dummies, Column, ColumnData, Table};
pub use text::{
    char_to_idx, chars, idx_to_char, sample_with_temperature, sliding_windows, CharVocab,
};
pub use tokenizer::{pad_sequences, text_to_word_sequence, Tokenizer};
