//! Static vocabularies the generators draw from: fashion product types,
//! colours, Indonesian names, addresses and couriers.

/// A kind of fashion product and where it sits in the category tree.
#[derive(Debug)]
pub(crate) struct ProductType {
    pub name: &'static str,
    /// Short code used in SKUs.
    pub code: &'static str,
    /// Shop showcase ("etalase") the product is filed under.
    pub menu: &'static str,
    /// Category path from root to leaf: (id, name, url slug).
    pub categories: [(u64, &'static str, &'static str); 3],
    /// Price range in thousands of rupiah.
    pub price_k: (i64, i64),
    pub weight_grams: i64,
}

const PRIA: (u64, &str, &str) = (1759, "Fashion Pria", "fashion-pria");
const WANITA: (u64, &str, &str) = (1758, "Fashion Wanita", "fashion-wanita");
const MUSLIM: (u64, &str, &str) = (1760, "Fashion Muslim", "fashion-muslim");

#[rustfmt::skip]
pub(crate) const PRODUCT_TYPES: &[ProductType] = &[
    ProductType { name: "Kemeja Flanel", code: "KMF", menu: "Kemeja", categories: [PRIA, (1807, "Atasan Pria", "atasan-pria"), (1810, "Kemeja Pria", "kemeja-pria")], price_k: (89, 249), weight_grams: 250 },
    ProductType { name: "Kaos Polos Cotton Combed 30s", code: "KAO", menu: "Kaos", categories: [PRIA, (1807, "Atasan Pria", "atasan-pria"), (1808, "Kaos Pria", "kaos-pria")], price_k: (39, 99), weight_grams: 180 },
    ProductType { name: "Celana Chino Slim Fit", code: "CHN", menu: "Celana", categories: [PRIA, (1787, "Celana", "celana"), (1826, "Celana Chino", "celana-chino")], price_k: (119, 299), weight_grams: 450 },
    ProductType { name: "Celana Jeans Stretch", code: "JNS", menu: "Celana", categories: [PRIA, (1787, "Celana", "celana"), (1828, "Celana Jeans", "celana-jeans")], price_k: (149, 399), weight_grams: 600 },
    ProductType { name: "Jaket Bomber", code: "JKB", menu: "Outerwear", categories: [PRIA, (1830, "Outerwear Pria", "outerwear-pria"), (1831, "Jaket Pria", "jaket-pria")], price_k: (179, 459), weight_grams: 700 },
    ProductType { name: "Hoodie Oversize", code: "HDO", menu: "Outerwear", categories: [PRIA, (1830, "Outerwear Pria", "outerwear-pria"), (1832, "Sweater & Hoodie Pria", "sweater-hoodie-pria")], price_k: (129, 329), weight_grams: 550 },
    ProductType { name: "Kemeja Batik Lengan Pendek", code: "BTK", menu: "Batik", categories: [PRIA, (1835, "Batik Pria", "batik-pria"), (1836, "Kemeja Batik Pria", "kemeja-batik-pria")], price_k: (149, 499), weight_grams: 300 },
    ProductType { name: "Gamis Syari", code: "GMS", menu: "Muslim", categories: [MUSLIM, (1901, "Busana Muslim Wanita", "busana-muslim-wanita"), (1903, "Gamis", "gamis")], price_k: (179, 549), weight_grams: 500 },
    ProductType { name: "Hijab Segi Empat Voal", code: "HJB", menu: "Muslim", categories: [MUSLIM, (1910, "Hijab", "hijab"), (1911, "Hijab Segi Empat", "hijab-segi-empat")], price_k: (35, 129), weight_grams: 100 },
    ProductType { name: "Dress Midi Rayon", code: "DRS", menu: "Dress", categories: [WANITA, (1770, "Dress", "dress"), (1772, "Dress Midi", "dress-midi")], price_k: (99, 299), weight_grams: 300 },
    ProductType { name: "Blouse Katun Wanita", code: "BLS", menu: "Atasan Wanita", categories: [WANITA, (1775, "Atasan Wanita", "atasan-wanita"), (1777, "Blouse", "blouse")], price_k: (69, 199), weight_grams: 200 },
    ProductType { name: "Rok Plisket", code: "ROK", menu: "Bawahan Wanita", categories: [WANITA, (1780, "Bawahan Wanita", "bawahan-wanita"), (1782, "Rok", "rok")], price_k: (79, 189), weight_grams: 300 },
    ProductType { name: "Sepatu Sneakers Kanvas", code: "SNK", menu: "Sepatu & Sandal", categories: [PRIA, (1840, "Sepatu Pria", "sepatu-pria"), (1842, "Sneakers Pria", "sneakers-pria")], price_k: (199, 599), weight_grams: 900 },
    ProductType { name: "Sandal Slide", code: "SDL", menu: "Sepatu & Sandal", categories: [PRIA, (1840, "Sepatu Pria", "sepatu-pria"), (1845, "Sandal Pria", "sandal-pria")], price_k: (49, 159), weight_grams: 400 },
    ProductType { name: "Tas Selempang", code: "TAS", menu: "Tas", categories: [WANITA, (1790, "Tas Wanita", "tas-wanita"), (1793, "Tas Selempang Wanita", "tas-selempang-wanita")], price_k: (89, 349), weight_grams: 450 },
];

/// Words placed after the type name ("Kemeja Flanel Premium ...").
#[rustfmt::skip]
pub(crate) const MODIFIERS: &[&str] = &[
    "Premium", "Original", "Basic", "Casual", "Distro", "Korean Style", "Terbaru", "Import",
    "Unisex", "Kekinian",
];

/// Colour name and the code used in SKUs.
#[rustfmt::skip]
pub(crate) const COLOURS: &[(&str, &str)] = &[
    ("Hitam", "BLK"), ("Putih", "WHT"), ("Navy", "NVY"), ("Maroon", "MRN"), ("Abu Misty", "GRY"),
    ("Army", "ARM"), ("Mocca", "MCC"), ("Sage", "SGE"), ("Dusty Pink", "DPK"), ("Khaki", "KHK"),
    ("Denim", "DNM"), ("Cream", "CRM"),
];

pub(crate) const SIZES: &[&str] = &["S", "M", "L", "XL", "XXL", "All Size"];

#[rustfmt::skip]
pub(crate) const FIRST_NAMES: &[&str] = &[
    "Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Ayu", "Fajar", "Nur", "Dimas",
    "Rina", "Yusuf", "Intan", "Bayu", "Lestari", "Hendra", "Wulan", "Eko", "Sari",
];

#[rustfmt::skip]
pub(crate) const LAST_NAMES: &[&str] = &[
    "Santoso", "Rahmawati", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Nugroho",
    "Siregar", "Halim", "Setiawan", "Lubis", "Wibowo", "Permata", "Gunawan",
];

/// An Indonesian address area as Tokopedia encodes it.
#[derive(Debug)]
pub(crate) struct Area {
    /// Everyday town name, matched against shop names.
    pub town: &'static str,
    pub district: &'static str,
    pub city: &'static str,
    pub province: &'static str,
    pub postal_code: &'static str,
    pub district_id: u64,
    pub city_id: u64,
    pub province_id: u64,
    pub geo: &'static str,
}

#[rustfmt::skip]
pub(crate) const AREAS: &[Area] = &[
    Area { town: "Jakarta", district: "Jagakarsa", city: "Kota Administrasi Jakarta Selatan", province: "DKI Jakarta", postal_code: "12620", district_id: 2263, city_id: 175, province_id: 13, geo: "-6.334917,106.822906" },
    Area { town: "Jakarta", district: "Palmerah", city: "Kota Administrasi Jakarta Barat", province: "DKI Jakarta", postal_code: "11480", district_id: 2258, city_id: 174, province_id: 13, geo: "-6.190450,106.797714" },
    Area { town: "Surabaya", district: "Genteng", city: "Kota Surabaya", province: "Jawa Timur", postal_code: "60271", district_id: 5573, city_id: 444, province_id: 11, geo: "-7.257472,112.752088" },
    Area { town: "Bandung", district: "Coblong", city: "Kota Bandung", province: "Jawa Barat", postal_code: "40132", district_id: 1619, city_id: 23, province_id: 9, geo: "-6.893570,107.613470" },
    Area { town: "Medan", district: "Medan Baru", city: "Kota Medan", province: "Sumatera Utara", postal_code: "20153", district_id: 1998, city_id: 278, province_id: 34, geo: "3.578190,98.659680" },
    Area { town: "Denpasar", district: "Denpasar Selatan", city: "Kota Denpasar", province: "Bali", postal_code: "80222", district_id: 1422, city_id: 114, province_id: 1, geo: "-8.688740,115.220980" },
    Area { town: "Semarang", district: "Tembalang", city: "Kota Semarang", province: "Jawa Tengah", postal_code: "50275", district_id: 4923, city_id: 399, province_id: 10, geo: "-7.055460,110.440220" },
    Area { town: "Yogyakarta", district: "Umbulharjo", city: "Kota Yogyakarta", province: "DI Yogyakarta", postal_code: "55161", district_id: 5779, city_id: 501, province_id: 5, geo: "-7.809920,110.389420" },
    Area { town: "Makassar", district: "Makassar", city: "Kota Makassar", province: "Sulawesi Selatan", postal_code: "90142", district_id: 4436, city_id: 254, province_id: 28, geo: "-5.147665,119.432732" },
];

/// Streets combined with an area to form a full address.
#[rustfmt::skip]
pub(crate) const STREETS: &[&str] = &[
    "Jl. Melati No. 12", "Jl. Sudirman Kav. 52", "Jl. Merdeka Raya No. 8", "Jl. Diponegoro No. 101",
    "Jl. Kenanga Blok C3", "Jl. Gatot Subroto No. 27", "Gg. Mawar RT 03/RW 05 No. 4",
];

/// A courier and the services it offers: (service_id, name, description).
#[derive(Debug)]
pub(crate) struct Shipper {
    pub id: u64,
    pub name: &'static str,
    pub logo: &'static str,
    pub services: &'static [(u64, &'static str, &'static str)],
}

#[rustfmt::skip]
pub(crate) const SHIPPERS: &[Shipper] = &[
    Shipper { id: 1, name: "JNE", logo: "jne", services: &[(1, "Reguler", "Layanan reguler 2-3 hari"), (6, "YES", "Yakin Esok Sampai"), (2, "OKE", "Ongkos Kirim Ekonomis")] },
    Shipper { id: 11, name: "SiCepat", logo: "sicepat", services: &[(18, "REG", "Layanan reguler"), (19, "BEST", "Besok Sampai Tujuan"), (20, "HALU", "Harga Lebih Untung")] },
    Shipper { id: 12, name: "J&T", logo: "jnt", services: &[(27, "EZ", "Layanan reguler")] },
    Shipper { id: 10, name: "GoSend", logo: "gosend", services: &[(28, "Instant Courier", "Pengiriman instan 1-3 jam"), (29, "Same Day", "Sampai di hari yang sama")] },
    Shipper { id: 13, name: "GrabExpress", logo: "grab", services: &[(37, "Instant", "Pengiriman instan"), (38, "Same Day", "Sampai di hari yang sama")] },
    Shipper { id: 23, name: "AnterAja", logo: "anteraja", services: &[(45, "Reguler", "Layanan reguler"), (46, "Next Day", "Sampai besok")] },
    Shipper { id: 4, name: "Pos Indonesia", logo: "pos", services: &[(10, "Pos Kilat Khusus", "Layanan reguler")] },
];
