namespace Trove.Data.Simulation;

/// <summary>Names used for the synthetic catalogue: categories with product nouns, typical prices and brands.</summary>
internal static class CatalogueVocabulary
{
    public sealed record CategorySpec(string Name, double MedianPrice, double PriceSigma, string[] Nouns, string[] Brands);

    public static readonly CategorySpec[] Named =
    [
        new("electronics", 350, 0.8, ["Laptop", "Smartphone", "Camera", "Headphones", "Tablet", "Monitor", "Speaker", "Smartwatch"], ["Apple", "Samsung", "Sony", "LG", "Dell", "Lenovo"]),
        new("fashion", 45, 0.6, ["T-Shirt", "Jeans", "Jacket", "Dress", "Sneakers", "Scarf", "Hoodie", "Skirt"], ["Zara", "H&M", "Levi's", "Uniqlo", "Gucci", "Mango"]),
        new("home", 120, 0.8, ["Sofa", "Table", "Chair", "Lamp", "Rug", "Blender", "Kettle", "Pillow"], ["Ikea", "Dyson", "Tefal", "KitchenAid", "Le Creuset", "West Elm"]),
        new("sports", 60, 0.6, ["Running Shoes", "Yoga Mat", "Dumbbells", "Football", "Tennis Racket", "Bike Helmet", "Jersey"], ["Nike", "Adidas", "Puma", "Under Armour", "Decathlon", "Wilson"]),
        new("books", 18, 0.4, ["Novel", "Cookbook", "Biography", "Thriller", "Guidebook", "Textbook", "Anthology"], ["Penguin", "HarperCollins", "Random House", "Macmillan", "Scholastic", "O'Reilly"]),
        new("beauty", 25, 0.5, ["Lipstick", "Moisturizer", "Shampoo", "Perfume", "Serum", "Mascara", "Sunscreen"], ["L'Oreal", "Maybelline", "Nivea", "Clinique", "Lancome", "Dove"]),
        new("toys", 30, 0.6, ["Building Set", "Doll", "Puzzle", "Board Game", "Action Figure", "Plush Toy", "RC Car"], ["Lego", "Mattel", "Hasbro", "Playmobil", "Fisher-Price", "Ravensburger"]),
        new("food", 12, 0.5, ["Coffee Beans", "Pasta", "Chocolate", "Cereal", "Olive Oil", "Tea", "Granola"], ["Nestle", "Kellogg's", "Barilla", "Heinz", "Lindt", "Danone"]),
        new("health", 30, 0.6, ["Vitamins", "Fitness Tracker", "Blood Pressure Monitor", "Protein Powder", "Thermometer", "Massager"], ["Fitbit", "Omron", "Centrum", "Garmin", "Braun", "Optimum Nutrition"]),
        new("automotive", 80, 0.8, ["Tires", "Motor Oil", "Wiper Blades", "Car Battery", "Roof Box", "Dash Cam"], ["Bosch", "Michelin", "Castrol", "Thule", "Bridgestone", "Valvoline"]),
        new("garden", 60, 0.7, ["Lawn Mower", "Hose", "Pruner", "Grill", "Planter"], ["Husqvarna", "Gardena", "Stihl", "Weber"]),
        new("music", 200, 0.8, ["Guitar", "Keyboard", "Drum Pad", "Amplifier", "Ukulele"], ["Yamaha", "Fender", "Roland", "Gibson"]),
        new("office", 25, 0.7, ["Notebook", "Mouse", "Printer", "Desk Organizer", "Pen Set"], ["Staples", "Moleskine", "Logitech", "HP"]),
        new("pets", 25, 0.6, ["Dog Food", "Cat Food", "Chew Toy", "Pet Bed", "Leash"], ["Purina", "Pedigree", "Kong", "Whiskas"]),
        new("jewelry", 150, 0.9, ["Necklace", "Bracelet", "Ring", "Earrings", "Watch"], ["Pandora", "Swarovski", "Tiffany", "Fossil"]),
        new("outdoors", 90, 0.7, ["Tent", "Backpack", "Sleeping Bag", "Rain Jacket", "Lantern"], ["Patagonia", "The North Face", "Coleman", "Columbia"]),
        new("baby", 60, 0.7, ["Diapers", "Stroller", "Car Seat", "Baby Monitor", "Bottle Set"], ["Pampers", "Chicco", "Graco", "Huggies"]),
        new("games", 50, 0.7, ["Console", "Controller", "Video Game", "Headset", "Gift Card"], ["Nintendo", "PlayStation", "Xbox", "Ubisoft"]),
        new("tools", 70, 0.7, ["Drill", "Saw", "Tool Set", "Sander", "Tape Measure"], ["DeWalt", "Makita", "Stanley", "Black+Decker"]),
        new("grocery", 8, 0.5, ["Rice", "Snacks", "Juice", "Cheese", "Bread Mix"], ["Kirkland", "Whole Foods", "Trader Joe's", "Tesco"]),
    ];

    public static readonly string[] GenericNouns = ["Item", "Product", "Set", "Kit", "Pack", "Bundle"];
    public const string ModelLetters = "ABCDEFGHJKLMNPRSTVXZ";

    // Product details (description, SKUs) as the NCF seed's mock products have them.

    /// <summary>Variant options per category (sizes, capacities, formats), in their natural order.</summary>
    public static readonly Dictionary<string, string[]> VariantOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["electronics"] = ["64 GB", "128 GB", "256 GB", "512 GB", "1 TB"],
        ["fashion"] = ["XS", "S", "M", "L", "XL", "XXL"],
        ["sports"] = ["S", "M", "L", "XL"],
        ["outdoors"] = ["S", "M", "L", "XL"],
        ["books"] = ["Paperback", "Hardcover", "eBook", "Audiobook"],
        ["beauty"] = ["15 ml", "30 ml", "50 ml", "100 ml"],
        ["food"] = ["250 g", "500 g", "1 kg"],
        ["grocery"] = ["Single", "Pack of 3", "Pack of 6", "Pack of 12"],
        ["health"] = ["30 count", "60 count", "120 count"],
        ["toys"] = ["Standard", "Deluxe", "Collector's Edition"],
        ["games"] = ["Standard Edition", "Deluxe Edition", "Digital"],
        ["pets"] = ["Small", "Medium", "Large"],
        ["baby"] = ["Newborn", "0-6 months", "6-12 months", "12-24 months"],
        ["jewelry"] = ["Silver", "Gold", "Rose Gold"],
        ["automotive"] = ["Standard", "Premium"],
        ["music"] = ["Standard", "Bundle with case"],
    };

    public static readonly string[] GenericVariants = ["Standard", "Large", "Value Pack", "Premium"];

    /// <summary>Categories whose variants also come in colours.</summary>
    public static readonly HashSet<string> Coloured = new(StringComparer.OrdinalIgnoreCase) { "electronics", "fashion", "home", "sports", "outdoors", "office", "tools" };
    public static readonly string[] Colours = ["Black", "White", "Silver", "Navy", "Red", "Green", "Grey", "Beige"];

    public static readonly string[] Adjectives = ["versatile", "premium", "compact", "lightweight", "durable", "elegant", "practical", "classic", "modern", "reliable"];

    /// <summary>Selling points per category, used two at a time in descriptions.</summary>
    public static readonly Dictionary<string, string[]> SellingPoints = new(StringComparer.OrdinalIgnoreCase)
    {
        ["electronics"] = ["long battery life", "a sharp high-resolution display", "fast charging", "wireless connectivity", "a fast processor"],
        ["fashion"] = ["breathable fabric", "a relaxed fit", "timeless style", "machine-washable material", "sustainable cotton"],
        ["home"] = ["solid construction", "an easy-clean surface", "a space-saving design", "a warm finish", "simple assembly"],
        ["sports"] = ["cushioned support", "sweat-wicking material", "a non-slip grip", "a lightweight build", "all-weather durability"],
        ["books"] = ["gripping storytelling", "expert insight", "beautiful illustrations", "an accessible style", "award-winning writing"],
        ["beauty"] = ["a dermatologist-tested formula", "a long-lasting finish", "natural ingredients", "a light fragrance", "hydrating care"],
        ["toys"] = ["hours of creative play", "child-safe materials", "easy-to-follow instructions", "bright colours", "a collectible design"],
        ["food"] = ["rich flavour", "organic ingredients", "no artificial additives", "a resealable pack", "fair-trade sourcing"],
        ["health"] = ["clinically tested results", "accurate readings", "a gentle formula", "daily wellbeing support", "easy operation"],
        ["automotive"] = ["a precise fit", "all-season performance", "easy installation", "long service life", "tested safety"],
    };

    public static readonly string[] GenericSellingPoints = ["quality materials", "great value for money", "an easy-to-use design", "a long-lasting build", "five-star reviews"];
}
