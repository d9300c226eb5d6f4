//! Keras's `keras.preprocessing` and the scikit-learn / pandas helpers the course uses:
//! CSV tables, one-hot encoding, label encoding, scaling, splitting; image resizing and
//! augmentation; text vocabularies and tokenizing.

pub mod label_encoder;
pub mod resize;
pub mod scaler;
pub mod split;
pub mod table;
mod table_render;
pub mod text;
pub mod tokenizer;

pub use label_encoder::LabelEncoder;
pub use resize::{resize_images, resize_images_with};
pub use scaler::StandardScaler;
pub use split::train_test_split;
pub use table::{get_dummies, read_csv, Column, ColumnData, CsvOptions, Table};
pub use text::{
    char_to_idx, chars, idx_to_char, sample_with_temperature, sliding_windows, CharVocab,
};
pub use tokenizer::{pad_sequences, text_to_word_sequence, Tokenizer};
