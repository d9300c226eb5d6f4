//! Keras's `keras.preprocessing` and the scikit-learn / pandas helpers the course uses:
//! CSV tables, one-hot encoding, label encoding, scaling, splitting; image resizing and
//! augmentation; text vocabularies and tokenizing.

pub mod label_encoder;
pub mod resize;
pub mod scaler;
pub mod split;
pub mod table;
mod table_render;

pub use label_encoder::LabelEncoder;
pub use resize::{resize_images, resize_images_with};
pub use scaler::StandardScaler;
pub use split::train_test_split;
pub use table::{get_dummies, read_csv, Column, ColumnData, CsvOptions, Table};
